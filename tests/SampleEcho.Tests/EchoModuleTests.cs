using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using SupHost.ModuleTesting;
using SupHost.Native;
using SupHost.Protocol;
using SupHost.Samples.Echo;

namespace SampleEcho.Tests;

/// <summary>
/// sample-echo through <see cref="ModuleTestHost"/> only: no daemon process, no socket. Each test
/// hosts a fresh instance and ends by asserting that the module left nothing behind.
/// </summary>
public sealed class EchoModuleTests
{
    [Fact]
    public void Nop_succeeds_with_no_output_and_the_status_is_the_modules()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        using TestReply reply = host.Call(session, "Nop");

        Assert.Equal(SupStatus.Success, reply.Status);
        Assert.True(reply.IsModuleStatus);
        Assert.Empty(reply.Output);
        Assert.Null(reply.Message);
        host.AssertClean();
    }

    [Fact]
    public void Echo_returns_its_input_with_the_operation_added_to_every_byte()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        using TestReply plain = host.Call(session, "Echo", input: [0x00, 0x7f, 0xff]);
        using TestReply added = host.Call(session, "Echo", operation: 2, input: [0x00, 0x7f, 0xff]);

        Assert.Equal(new byte[] { 0x00, 0x7f, 0xff }, plain.Output);
        Assert.Equal(new byte[] { 0x02, 0x81, 0x01 }, added.Output);
        Assert.Equal(2, host.Module!.Calls);
        host.AssertClean();
    }

    [Fact]
    public void Echo_into_an_output_smaller_than_its_input_returns_the_modules_own_error()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        using TestReply reply = host.Call(session, "Echo", input: [1, 2, 3], outputSize: 2);

        Assert.Equal(-1000, (int)reply.Status);
        Assert.True(reply.IsModuleStatus);
        Assert.Equal("sample-echo.Echo returned status -1000", reply.Message);
        Assert.Empty(reply.Output);

        // A status of its own is not a failed call: the module's counters say so.
        Assert.Equal(0, host.Module!.FailedCalls);
        host.AssertClean();
    }

    [Fact]
    public void Signal_signals_the_callers_event_once()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();
        using TestEvent evt = session.CreateEvent();

        using TestReply reply = host.Call(session, "Signal", argument: evt.Handle);

        Assert.Equal(SupStatus.Success, reply.Status);
        Assert.Equal(SupStatus.Success, evt.Wait(0));

        // Auto-reset: the wait took the one signal.
        Assert.Equal(SupStatus.WaitTimedOut, evt.Wait(0));
        host.AssertClean();
    }

    [Fact]
    public void Signal_of_another_sessions_event_is_refused_and_leaves_it_alone()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession caller = host.CreateSession();
        using TestSession other = host.CreateSession();
        using TestEvent theirs = other.CreateEvent();

        using TestReply reply = host.Call(caller, "Signal", argument: theirs.Handle);

        // The host's InvalidHandle, passed on by the module as its own status.
        Assert.Equal(SupStatus.InvalidHandle, reply.Status);
        Assert.True(reply.IsModuleStatus);
        Assert.Equal(SupStatus.WaitTimedOut, theirs.Wait(0));
        host.AssertClean();
    }

    [Fact]
    public void Time_returns_the_daemons_clock_on_the_monotonic_scale()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        ulong before = Libc.MonotonicNanoseconds();
        using TestReply reply = host.Call(session, "Time", outputSize: 8);
        ulong after = Libc.MonotonicNanoseconds();
        using TestReply tooSmall = host.Call(session, "Time", outputSize: 4);

        Assert.Equal(SupStatus.Success, reply.Status);
        ulong time = BinaryPrimitives.ReadUInt64LittleEndian(reply.Output);

        // The GIP clock follows CLOCK_MONOTONIC within microseconds (docs/gip.md); a millisecond
        // either side leaves room for a loaded machine without letting another clock pass.
        Assert.InRange(time, before - 1_000_000, after + 1_000_000);
        Assert.Equal(-1000, (int)tooSmall.Status);
        host.AssertClean();
    }

    [Fact]
    public unsafe void EchoDescriptors_hands_back_the_descriptors_the_call_carried_in_order()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();
        using SafeFd doorbell = Libc.CreateEvent();
        (SafeFd mine, SafeFd theirs) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
        using (mine)
        using (theirs)
        {
            using TestReply reply = host.Call(session, "EchoDescriptors", descriptors: [doorbell, theirs]);

            Assert.Equal(SupStatus.Success, reply.Status);
            Assert.Equal(2, reply.Descriptors.Count);

            // The first is the same eventfd: a signal through it is seen on ours.
            Libc.SignalEvent(reply.Descriptors[0]);
            Assert.True(Libc.TryConsumeEvent(doorbell), "the first descriptor back is not the eventfd sent first");

            // The second is the same socket: what is sent through it arrives on our end.
            byte[] hello = "hello"u8.ToArray();
            fixed (byte* p = hello)
            {
                Assert.Equal(Errno.None, Libc.SendMessage(reply.Descriptors[1], p, hello.Length));
            }

            byte[] buffer = new byte[16];
            fixed (byte* p = buffer)
            {
                ReceiveResult got = Libc.ReceiveMessage(mine, p, buffer.Length, null, ReceiveOptions.DontWait);
                Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, got.Length));
            }
        }

        // The module took both: none was closed unclaimed, and the daemon holds none now.
        Assert.Equal(0, host.DescriptorsUnclaimed);
        Assert.Equal(0, host.DescriptorsHeld);
        host.AssertClean();
    }

    [Fact]
    public void Descriptors_an_entry_point_does_not_take_are_closed_and_counted()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();
        using SafeFd first = Libc.CreateEvent();
        using SafeFd second = Libc.CreateEvent();

        using TestReply reply = host.Call(session, "Nop", descriptors: [first, second]);

        Assert.Equal(SupStatus.Success, reply.Status);
        Assert.Empty(reply.Descriptors);
        Assert.Equal(2, host.DescriptorsUnclaimed);
        Assert.Equal(0, host.DescriptorsHeld);
        host.AssertClean();
    }

    [Fact]
    public void A_call_with_more_descriptors_than_the_limit_is_refused_before_the_module_runs()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();
        SafeFd[] many = [.. Enumerable.Range(0, ProtocolConstants.MaxDescriptorsPerCall + 1).Select(_ => Libc.CreateEvent())];
        try
        {
            using TestReply reply = host.Call(session, "EchoDescriptors", descriptors: many);

            Assert.Equal(SupStatus.TooManyDescriptors, reply.Status);
            Assert.False(reply.IsModuleStatus);
            Assert.Empty(reply.Descriptors);
            Assert.Equal(0, host.Module!.Calls);
            Assert.Equal(0, host.DescriptorsHeld);
        }
        finally
        {
            Array.ForEach(many, fd => fd.Dispose());
        }

        host.AssertClean();
    }

    [Fact]
    public void An_unknown_entry_point_is_SymbolNotFound_naming_the_exports()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        using TestReply reply = host.Call(session, "Missing");

        Assert.Equal(SupStatus.SymbolNotFound, reply.Status);
        Assert.False(reply.IsModuleStatus);
        Assert.Equal("module 'sample-echo' exports no entry point 'Missing' (it has Echo, EchoDescriptors, Nop, Signal, Time)", reply.Message);
        host.AssertClean();
    }

    [Fact]
    public void A_restricted_session_cannot_call_the_module()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession(1000, 1000, restricted: true);

        using TestReply reply = host.Call(session, "Nop");

        Assert.Equal(SupStatus.RestrictedSession, reply.Status);
        Assert.Equal(0, host.Module!.Calls);
        host.AssertClean();
    }

    [Fact]
    public void Each_session_holds_one_reference_and_ending_it_releases_what_it_held()
    {
        using var host = ModuleTestHost.Create(new EchoModule());
        TestSession session = host.CreateSession();
        using TestSession other = host.CreateSession();
        TestEvent evt = session.CreateEvent(multi: true);
        TestMemory memory = session.AllocatePages(2);
        Assert.Contains(host.Module!.References, r => r.SessionId == session.Id && r.References == 1);
        Assert.Contains(host.Objects, o => o.Handle == $"0x{evt.Handle:x16}");
        Assert.Contains(host.Memory, m => m.Handle == $"0x{memory.Handle:x16}" && m.SessionId == session.Id && m.Pages == 2);

        Assert.True(session.End());

        Assert.True(session.HasEnded);
        Assert.DoesNotContain(host.Module!.References, r => r.SessionId == session.Id);
        Assert.Empty(host.Objects);
        Assert.Empty(host.Memory);
        Assert.Equal(0, host.DescriptorsHeld);
        Assert.Throws<ObjectDisposedException>(() => host.Call(session, "Nop"));

        // The client side of what went with the session: closing it now finds nothing to close.
        memory.Dispose();
        evt.Dispose();
        using TestReply served = host.Call(other, "Nop");
        Assert.Equal(SupStatus.Success, served.Status);
        host.AssertClean();
    }

    [Fact]
    public void The_module_logs_its_start_and_its_end_through_the_host()
    {
        var host = ModuleTestHost.Create(new EchoModule());
        Assert.Contains(host.Log, l => l is { EventId: 40, Level: LogLevel.Information, Category: "SupHost.Module.sample-echo", Message: "[sample-echo] sample-echo ready (Abi 1.2)" });

        ModuleLeakReport report = host.Unload();

        Assert.True(report.IsClean, report.ToString());
        Assert.Empty(report.UndoneAtUnload);
        Assert.Equal("module 'sample-echo' left nothing behind", report.ToString());
        Assert.Contains(host.Log, l => l is { EventId: 40, Message: "[sample-echo] sample-echo done" });
        Assert.Null(host.Module);
        Assert.Throws<ObjectDisposedException>(() => host.CreateSession());
        host.Dispose();
    }

    [Fact]
    public void The_built_module_file_loads_through_the_real_loader_and_is_collected_after_unload()
    {
        string modules = Path.Combine(AppContext.BaseDirectory, "modules");
        using var host = ModuleTestHost.LoadFile(modules, "sample-echo");
        Assert.Equal(Path.Combine(modules, "sample-echo", "sample-echo.dll"), host.Module!.Path);
        using (TestSession session = host.CreateSession())
        {
            using TestReply reply = host.Call(session, "Echo", operation: 1, input: [9]);
            Assert.Equal(new byte[] { 10 }, reply.Output);
        }

        host.AssertClean();
        Assert.True(host.WaitForCollection(TimeSpan.FromSeconds(30)), "the load context of sample-echo was not collected");
    }

    [Fact]
    public void An_in_process_module_has_no_load_context_to_collect()
    {
        using var host = ModuleTestHost.Create<EchoModule>();
        Assert.StartsWith("in process: SupHost.Samples.Echo.EchoModule", host.Module!.Path, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => host.WaitForCollection(TimeSpan.Zero));
    }
}
