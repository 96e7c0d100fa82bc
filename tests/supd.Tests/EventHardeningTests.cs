using System.Globalization;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Event descriptors are shared with clients, and clients are hostile (issue 9): a client that makes
/// its event blocking or fills its counter cannot hang the daemon (defect 5), and no number of
/// sessions creating events can exhaust the daemon's descriptors (defect 3).
/// </summary>
public class EventHardeningTests
{
    /// <summary>The most write(2) can put in an eventfd's counter.</summary>
    private const ulong LargestWritable = 0xffff_ffff_ffff_fffe;

    /// <summary>Long enough for any call the daemon answers at once; a hung call runs into it.</summary>
    private static readonly TimeSpan s_callTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void A_client_that_makes_its_event_blocking_cannot_hang_reset_signal_or_a_module()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        observer.ListObjects();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, observer);

        using (SupClient client = Connect(daemon))
        {
            EventSemaphore ev = client.CreateEvent(EventKind.AutoReset);
            EventSemaphore multi = client.CreateEvent(EventKind.Multi);
            ulong echo = Modules.Loaded(client, "sample-echo");
            ulong flaky = Modules.Loaded(client, "test-flaky");
            ulong moduleSignal = client.GetSymbol(echo, "Signal");
            ulong moduleWait = client.GetSymbol(flaky, "WaitEvent");
            ulong moduleReset = client.GetSymbol(flaky, "ResetEvent");

            // The flag belongs to the open file description the daemon shares.
            Libc.SetNonBlocking(ev.Descriptor, false);
            Libc.SetNonBlocking(multi.Descriptor, false);
            Assert.False(Libc.IsNonBlocking(ev.Descriptor));

            // (a) Resets of unsignalled events, through the protocol and by a module: a blocking
            // read would wait for a signal that never comes.
            Call(client, SupFunction.EventReset, ev.Handle);
            Call(client, SupFunction.EventReset, multi.Handle);
            Assert.Equal(SupStatus.Success, client.CallModule(moduleReset, 0, ev.Handle));

            // (b) The counter one below its limit: a blocking write of 1 would sleep until someone reads.
            Libc.AddToEvent(ev.Descriptor, LargestWritable);
            SupException full = Assert.Throws<SupException>(() => Call(client, SupFunction.EventSignal, ev.Handle));
            Assert.Equal(SupStatus.LimitReached, full.Status);
            Assert.Equal("the event's counter is at its limit 0xffffffffffffffff (a client wrote to its descriptor); it stays signalled until read", full.Message);

            // Saturated: a module's signal is the same status, and the event is still signalled.
            Assert.Equal(SupStatus.LimitReached, Assert.Throws<SupException>(() => client.CallModule(moduleSignal, 0, ev.Handle)).Status);
            Assert.Equal(SupStatus.Success, client.CallModule(moduleWait, 0, ev.Handle));

            // (c) The module's wait took the whole count: the event is unsignalled, and a wait on a
            // blocking event times out rather than blocking in the read that takes the signal.
            Assert.Equal(SupStatus.WaitTimedOut, Assert.Throws<SupException>(() => client.CallModule(moduleWait, 50, ev.Handle)).Status);
            Assert.Equal(SupStatus.Success, client.CallModule(moduleSignal, 0, ev.Handle));
            Assert.Equal(SupStatus.Success, client.CallModule(moduleWait, 50, ev.Handle));
            Call(client, SupFunction.EventSignal, multi.Handle);
            Assert.Equal(SupStatus.Success, client.CallModule(moduleWait, 0, multi.Handle));
            Assert.Equal(SupStatus.Success, client.CallModule(moduleWait, 0, multi.Handle));
            Assert.Equal(SupStatus.Success, client.CallModule(moduleReset, 0, multi.Handle));
            Assert.Equal(SupStatus.WaitTimedOut, Assert.Throws<SupException>(() => client.CallModule(moduleWait, 0, multi.Handle)).Status);

            // The client's own end works as before (it may block itself; it has a signal to take).
            ev.Signal();
            Assert.Equal(SupStatus.Success, ev.Wait(0));
            client.Nop();
        }

        // The client went: its events, its session and the daemon's descriptors go with it.
        Poll.Until(() => DaemonBaseline.Measure(daemon, observer) == before, () => $"the daemon to return to {before}; it is at {DaemonBaseline.Measure(daemon, observer)}: {daemon.FdTargets()}");
        using SupClient fresh = daemon.Connect();
        using EventSemaphore again = fresh.CreateEvent();
        Call(fresh, SupFunction.EventSignal, again.Handle);
        Assert.Equal(SupStatus.Success, again.Wait(0));
    }

    [Fact]
    public async Task A_module_waiting_without_limit_does_not_hold_up_the_daemons_stop()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using SupClient observer = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent();
        Libc.SetNonBlocking(ev.Descriptor, false);
        ulong wait = client.GetSymbol(Modules.Loaded(client, "test-flaky"), "WaitEvent");
        long callsBefore = Modules.Live(observer.ListModules(), "test-flaky").Calls;

        Task<SupStatus> waiting = Task.Run(() => client.CallModule(wait, uint.MaxValue, ev.Handle));
        Poll.Until(() => Modules.Live(observer.ListModules(), "test-flaky").Calls > callsBefore, "the module's wait to start");

        // SupDriver.Stop gives each session 10 s to end; the wait must end well before that.
        Libc.Kill(daemon.Pid, Libc.SIGTERM);
        Assert.True(daemon.Process.WaitForExit(TimeSpan.FromSeconds(5)), $"supd did not stop within 5 s of SIGTERM:\n{daemon.Output}");
        Assert.Equal(0, daemon.Process.ExitCode);
        SupException ended = await Assert.ThrowsAsync<SupException>(() => waiting.WaitAsync(s_callTimeout));
        Assert.True(ended.Status is SupStatus.ShuttingDown or SupStatus.Disconnected, $"the waiting call ended with {ended.Status}: {ended.Message}");
    }

    [Fact]
    public void Sessions_creating_events_until_refused_leave_the_daemon_serving()
    {
        // The attack of issue 9: 19,870 EventCreate calls over 5 sessions filled the daemon's
        // descriptor table (RLIMIT_NOFILE 20,000 here) and it aborted. With per-uid limits above
        // the daemon's total, the total is what refuses.
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxDescriptorsPerSession": 100000, "MaxDescriptorsPerUid": 1000000, "MaxObjectsPerSession": 100000 } }""");
        using SupClient probe = daemon.Connect();
        long budget = probe.QueryStatus().DescriptorBudget;
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);

        var attackers = Enumerable.Range(0, 5).Select(_ => daemon.Connect()).ToList();
        try
        {
            long created = 0;
            SupException? refused = null;
            byte[] input = new byte[EventCreateRequest.Size];
            new EventCreateRequest(EventKind.AutoReset).Write(input);
            foreach (SupClient attacker in attackers)
            {
                // Each creates until refused; the reply's descriptor is closed on the client's side
                // (Call keeps none), the daemon's stays with the event.
                for (long i = 0; i <= budget; i++)
                {
                    try
                    {
                        attacker.Call(SupFunction.EventCreate, input, HandleReply.Size);
                        created++;
                    }
                    catch (SupException ex)
                    {
                        refused = ex;
                        break;
                    }
                }
            }

            Assert.NotNull(refused);
            Assert.Equal(SupStatus.LimitReached, refused.Status);
            Assert.Contains($"would exceed the daemon's limit of {budget}", refused.Message, StringComparison.Ordinal);
            Assert.Equal(budget, created);
            Assert.Equal(budget, probe.QueryStatus().DescriptorsHeld);

            // Full: a new connection still succeeds and is served, and what needs no new
            // descriptor still works; what needs one gets the status.
            using (SupClient late = daemon.Connect())
            {
                late.Nop();
                Assert.Equal(SupStatus.LimitReached, Assert.Throws<SupException>(() => late.CreateEvent()).Status);
                Assert.Equal(SupStatus.LimitReached, Assert.Throws<SupException>(() => late.AllocatePages(1)).Status);
                Assert.Equal(7, late.QueryStatus().Sessions);
            }
        }
        finally
        {
            attackers.ForEach(a => a.Dispose());
        }

        Poll.Until(() => DaemonBaseline.Measure(daemon, probe) == before, () => $"the daemon to return to {before}; it is at {DaemonBaseline.Measure(daemon, probe)}", timeoutMs: 60_000);
        using SupClient fresh = daemon.Connect();
        using EventSemaphore ev = fresh.CreateEvent();
    }

    [Fact]
    public void An_eventfd_the_daemon_cannot_make_is_a_status_and_the_daemon_keeps_serving()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);
        string limits = File.ReadLines($"/proc/{daemon.Pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[] fields = limits["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // The budget allows the event, but the process's table is full (another component, or an
        // operator's prlimit): eventfd(2) fails with EMFILE once the lowest free number is at the limit.
        var used = Directory.GetFileSystemEntries($"/proc/{daemon.Pid}/fd").Select(f => int.Parse(Path.GetFileName(f), CultureInfo.InvariantCulture)).ToHashSet();
        int lowestFree = Enumerable.Range(0, used.Count + 1).First(n => !used.Contains(n));
        SetDescriptorLimit(daemon.Pid, lowestFree.ToString(CultureInfo.InvariantCulture), fields[1]);
        try
        {
            SupException ex = Assert.Throws<SupException>(() => client.CreateEvent());
            Assert.Equal(SupStatus.LimitReached, ex.Status);
            Assert.Equal("creating the eventfd failed: eventfd: Too many open files (EMFILE) (the daemon's descriptor table is full)", ex.Message);
            client.Nop();
        }
        finally
        {
            SetDescriptorLimit(daemon.Pid, fields[0], fields[1]);
        }

        Assert.Equal(before, DaemonBaseline.Measure(daemon, probe));
        using EventSemaphore ev = client.CreateEvent();
        Assert.Equal(1, probe.QueryStatus().DescriptorsHeld);
    }

    private static void SetDescriptorLimit(int pid, string soft, string hard)
    {
        (int code, _, string stderr) = Tool.Run("prlimit", "--pid", pid.ToString(CultureInfo.InvariantCulture), $"--nofile={soft}:{hard}");
        Assert.True(code == 0, $"prlimit failed: {stderr}");
    }

    private static SupClient Connect(Daemon daemon) =>
        SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Timeout = s_callTimeout });

    private static void Call(SupClient client, SupFunction function, ulong handle)
    {
        byte[] input = new byte[HandleRequest.Size];
        new HandleRequest(handle).Write(input);
        client.Call(function, input, 0);
    }
}
