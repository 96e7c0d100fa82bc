using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Supd.Tests;
using SupHost.Abi;
using SupHost.ModuleTesting;
using SupHost.Native;
using SupHost.Protocol;

namespace SampleEcho.Tests;

/// <summary>
/// What <see cref="ModuleTestHost"/> does with a module that misbehaves: <see cref="ProbeModule"/>
/// throws, faults, ignores its cancellation and keeps what it should give back, on purpose.
/// </summary>
public sealed class TestHostTests
{
    private static readonly ModuleTestHostOptions s_probe = new() { ModuleName = "probe" };

    [Fact]
    public void The_module_sees_the_settings_it_is_given_and_keeps_state_files_in_the_hosts_state_directory()
    {
        var probe = new ProbeModule();
        using var host = ModuleTestHost.Create(probe, new ModuleTestHostOptions { ModuleName = "probe", Settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["Colour"] = "blue" } });
        IModuleSettings settings = probe.Host!.Settings;

        Assert.Equal("blue", settings.GetValue("Colour"));
        Assert.Equal("blue", settings.GetValue("COLOUR"));
        Assert.Null(settings.GetValue("Shape"));
        Assert.Equal(host.StateDirectory, settings.StateDirectory);
        Assert.Equal(-15, settings.ReadState("record", 100, out _));
        Assert.Equal(0, settings.WriteState("record", "one"u8));
        Assert.Equal(0, settings.WriteState("record", "two"u8));
        Assert.Equal(0, settings.ReadState("record", 100, out byte[]? content));
        Assert.Equal("two"u8.ToArray(), content);
        Assert.Equal(-20, settings.ReadState("record", 2, out _));
        Assert.Equal(["record"], Directory.GetFiles(host.StateDirectory).Select(Path.GetFileName));
        Assert.Equal(-22, settings.WriteState("../escape", "x"u8));
        Assert.Equal(-22, settings.WriteState(".hidden", "x"u8));
        Assert.Contains("not a state file name", settings.LastError, StringComparison.Ordinal);
        Assert.Equal(0, settings.DeleteState("record"));
        Assert.Empty(Directory.GetFiles(host.StateDirectory));
        host.AssertClean();
    }

    [Fact]
    public void A_throwing_entry_point_fails_that_call_only()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using TestSession session = host.CreateSession();

        using TestReply thrown = host.Call(session, "Throw", operation: 7);
        using TestReply after = host.Call(session, "Nop");

        Assert.Equal(SupStatus.ModuleCallFailed, thrown.Status);
        Assert.False(thrown.IsModuleStatus);
        Assert.Equal("probe.Throw threw InvalidOperationException: thrown on purpose (operation 7)", thrown.Message);
        Assert.Equal(SupStatus.Success, after.Status);
        Assert.Equal("loaded", host.Module!.State);
        Assert.Equal(1, host.Module.FailedCalls);
        TestLogEntry logged = Assert.Single(host.Log, l => l.EventId == 47);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains("thrown on purpose (operation 7)", logged.Exception, StringComparison.Ordinal);
        host.AssertClean();
    }

    [Fact]
    public void A_worker_that_throws_faults_the_module_and_its_calls_fail_from_then_on()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using TestSession session = host.CreateSession();

        using (TestReply started = host.Call(session, "StartFaultyWorker"))
        {
            Assert.Equal(SupStatus.Success, started.Status);
        }

        Poll.Until(() => host.Module?.State == "faulted", () => $"the module to fault; it is {host.Module?.State}");
        using TestReply refused = host.Call(session, "Nop");

        Assert.Equal(SupStatus.ModuleFaulted, refused.Status);
        Assert.StartsWith("module 'probe' is faulted: worker 'faulty' threw InvalidOperationException: the worker threw on purpose", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, host.Module!.Faults);

        // The fault is recorded before it is logged, on the worker's thread.
        Poll.Until(() => host.Log.Any(l => l.EventId == 3250 && l.Level == LogLevel.Error), "the fault's log line");
        host.AssertClean();
    }

    [Fact]
    public async Task Ending_a_session_cancels_its_running_call_then_cleans_up()
    {
        var probe = new ProbeModule();
        using var host = ModuleTestHost.Create(probe, s_probe);
        TestSession session = host.CreateSession();
        using TestEvent evt = session.CreateEvent();

        Task<TestReply> call = Task.Factory.StartNew(() => host.Call(session, "WaitForCancellation"), TaskCreationOptions.LongRunning);
        Assert.True(probe.Running.Wait(TimeSpan.FromSeconds(30)), "the call did not start");
        Assert.False(session.HasEnded);

        Assert.True(session.End());

        using TestReply reply = await call;
        Assert.Equal((SupStatus)1, reply.Status);
        Assert.True(session.HasEnded);
        Assert.Empty(host.Objects);
        host.AssertClean();
    }

    [Fact]
    public async Task A_call_that_ignores_its_cancellation_keeps_its_session_until_it_returns()
    {
        var probe = new ProbeModule();
        using var host = ModuleTestHost.Create(probe, new ModuleTestHostOptions { ModuleName = "probe", CancelGrace = TimeSpan.FromMilliseconds(200) });
        TestSession session = host.CreateSession();
        using TestEvent evt = session.CreateEvent();
        Task<TestReply> call = Task.Factory.StartNew(() => host.Call(session, "IgnoreCancellation"), TaskCreationOptions.LongRunning);
        Assert.True(probe.Running.Wait(TimeSpan.FromSeconds(30)), "the call did not start");

        ModuleLeakReport report = host.Unload();

        // The session could not end: its event is still there, and the module is still held.
        Assert.Equal([session.Id], report.SessionsNotEnded);
        Assert.False(report.ModuleUnloaded);
        Assert.Contains(report.Objects, o => o.Handle == $"0x{evt.Handle:x16}");
        Assert.False(report.IsClean);
        Assert.Contains(report.Leaks, l => l.StartsWith($"session {session.Id}: its call still ran", StringComparison.Ordinal));

        // Once the call returns, its own thread runs the cleanup, as a connection's thread does.
        probe.Release.Set();
        using TestReply reply = await call;
        Assert.Equal(SupStatus.Success, reply.Status);
        Poll.Until(() => session.HasEnded, "the session to end once its call returned");
        Assert.Empty(host.Objects);
        Assert.Null(host.Module);
    }

    [Fact]
    public void Descriptors_the_module_took_and_kept_are_reported_as_leaked()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using (TestSession session = host.CreateSession())
        {
            using SafeFd first = Libc.CreateEvent();
            using SafeFd second = Libc.CreateEvent();
            using TestReply reply = host.Call(session, "KeepDescriptors", descriptors: [first, second]);
            Assert.Equal((SupStatus)2, reply.Status);
        }

        ModuleLeakException leaked = Assert.Throws<ModuleLeakException>(host.AssertClean);

        Assert.Equal(2, leaked.Report!.Descriptors);
        Assert.True(leaked.Report.ModuleUnloaded);
        Assert.Equal("module 'probe' leaked:\n - 2 descriptors the daemon issued still open: taken from a call or made by Memory.Allocate or Events.Create, and neither replied nor disposed", leaked.Message);
    }

    [Fact]
    public void A_descriptor_the_module_made_and_kept_outlives_the_session_and_is_reported()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using (TestSession session = host.CreateSession())
        {
            using TestReply reply = host.Call(session, "AllocateAndKeep");
            Assert.Equal(SupStatus.Success, reply.Status);
            Assert.Single(host.Memory, m => m.SessionId == session.Id);
        }

        // The session's allocation went with it; the duplicate the module kept did not.
        Assert.Empty(host.Memory);
        ModuleLeakReport report = host.Unload();
        Assert.Equal(1, report.Descriptors);
        Assert.Empty(report.Allocations);
        Assert.False(report.IsClean);
    }

    [Fact]
    public void A_lease_the_module_kept_is_ended_at_unload_and_reported()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using (TestSession session = host.CreateSession())
        {
            using TestMemory memory = session.AllocatePages(1);
            using TestReply reply = host.Call(session, "LeaseAndKeep", argument: memory.Handle);
            Assert.Equal(SupStatus.Success, reply.Status);
        }

        ModuleLeakReport report = host.Unload();

        Assert.Equal(1, report.MemoryLeases);
        Assert.Contains("1 memory lease not disposed; the daemon ended them at unload", report.Leaks);
        Assert.Contains(host.Log, l => l.EventId == 3104);

        // Ended by the daemon, the lease no longer keeps the freed allocation.
        Assert.Empty(report.Allocations);
        Assert.Empty(host.Memory);
    }

    [Fact]
    public void A_timer_the_module_did_not_dispose_is_undone_at_unload_not_a_leak()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using (TestSession session = host.CreateSession())
        {
            using TestReply reply = host.Call(session, "StartTimer");
            Assert.Equal(SupStatus.Success, reply.Status);
        }

        ModuleLeakReport report = host.Unload();

        Assert.True(report.IsClean, report.ToString());
        Assert.Equal(1, report.Timers);
        Assert.Equal(["1 timer not disposed; the daemon stopped them"], report.UndoneAtUnload);
    }

    [Fact]
    public void A_timer_that_disposes_itself_from_its_callback_does_not_hang()
    {
        var probe = new ProbeModule();
        using var host = ModuleTestHost.Create(probe, new ModuleTestHostOptions { ModuleName = "probe" });
        using (TestSession session = host.CreateSession())
        {
            using TestReply reply = host.Call(session, "StartSelfDisposingTimer");
            Assert.Equal(SupStatus.Success, reply.Status);
        }

        Assert.True(probe.TimerDisposedItself.Wait(TimeSpan.FromSeconds(30)), "the timer's callback hung disposing its own timer");
        Assert.Empty(host.Unload().Leaks);
    }

    [Fact]
    public void A_worker_that_does_not_stop_is_reported_by_name()
    {
        var probe = new ProbeModule();
        using var host = ModuleTestHost.Create(probe, new ModuleTestHostOptions { ModuleName = "probe", UnloadTimeout = TimeSpan.FromMilliseconds(200) });
        try
        {
            using (TestSession session = host.CreateSession())
            {
                using TestReply reply = host.Call(session, "StartStubbornWorker");
                Assert.Equal(SupStatus.Success, reply.Status);
            }

            ModuleLeakReport report = host.Unload();

            Assert.Equal(["stubborn"], report.WorkersNotStopped);
            Assert.Contains("workers stubborn did not return after the unload cancelled them", report.Leaks);
            Assert.Contains(host.Log, l => l.EventId == 3251);
        }
        finally
        {
            probe.Release.Set();
        }
    }

    [Fact]
    public void Memory_and_an_event_the_module_made_for_a_session_reach_the_client_and_go_with_it()
    {
        using var host = ModuleTestHost.Create(new ProbeModule(), s_probe);
        using (TestSession session = host.CreateSession())
        {
            using TestReply reply = host.Call(session, "MakeForSession", outputSize: 16);
            Assert.Equal(SupStatus.Success, reply.Status);
            Assert.Equal(2, reply.Descriptors.Count);
            ulong memoryHandle = BinaryPrimitives.ReadUInt64LittleEndian(reply.Output);
            ulong eventHandle = BinaryPrimitives.ReadUInt64LittleEndian(reply.Output.AsSpan(8));

            using TestMemory memory = session.MapMemory(memoryHandle, reply.Descriptors[0]);
            using TestEvent evt = session.OpenEvent(eventHandle, reply.Descriptors[1]);

            Assert.Equal(4096, memory.Length);
            Assert.Equal(0x5a, memory.Span[0]);
            Assert.Equal(SupStatus.Success, evt.Wait(0));
            Assert.Contains(host.Memory, m => m.Handle == $"0x{memoryHandle:x16}" && m.SessionId == session.Id);
            Assert.Contains(host.Objects, o => o.Handle == $"0x{eventHandle:x16}");

            // Sent: the daemon's duplicates were closed with the reply.
            Assert.Equal(2, host.DescriptorsHeld);
        }

        Assert.Empty(host.Memory);
        Assert.Empty(host.Objects);
        host.AssertClean();
    }

    [Fact]
    public void A_module_class_without_a_declaration_needs_a_name()
    {
        ArgumentException refused = Assert.Throws<ArgumentException>(() => ModuleTestHost.Create(new ProbeModule()));
        Assert.Contains("ModuleTestHostOptions.ModuleName", refused.Message, StringComparison.Ordinal);

        ModuleLoadException bad = Assert.Throws<ModuleLoadException>(() => ModuleTestHost.Create(new ProbeModule(), new ModuleTestHostOptions { ModuleName = "no spaces" }));
        Assert.Equal(SupStatus.InvalidName, bad.Status);
    }
}
