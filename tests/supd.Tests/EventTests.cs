using System.Diagnostics;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class EventTests
{
    private const int ShortWaitMs = 50;
    private const int LongWaitMs = 30_000;

    [Fact]
    public void An_auto_reset_event_does_not_count_signals()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent(EventKind.AutoReset);
        Assert.Equal(EventKind.AutoReset, ev.Kind);

        // Signalled here, without a round trip.
        ev.Signal();
        ev.Signal();
        Assert.Equal(SupStatus.Success, ev.Wait(ShortWaitMs));
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(ShortWaitMs));

        // Signalled by the daemon over the protocol: the same counter.
        SignalThroughDaemon(client, ev.Handle);
        SignalThroughDaemon(client, ev.Handle);
        Assert.Equal(SupStatus.Success, ev.Wait(0));
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));

        // Signalled by a module.
        ulong module = Modules.Loaded(client, "sample-echo");
        ulong signal = client.GetSymbol(module, "Signal");
        client.CallModule(signal, 0, ev.Handle);
        client.CallModule(signal, 0, ev.Handle);
        Assert.Equal(SupStatus.Success, ev.Wait(ShortWaitMs));
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(ShortWaitMs));
    }

    [Fact]
    public async Task One_signal_of_an_auto_reset_event_wakes_one_of_two_waiters()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent(EventKind.AutoReset);
        var waiting = new CountdownEvent(2);
        Task<SupStatus>[] waiters = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(
            () =>
            {
                waiting.Signal();
                return ev.Wait(500);
            },
            TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(waiting.Wait(LongWaitMs));
        ev.Signal();
        SupStatus[] results = await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMilliseconds(LongWaitMs));
        Assert.Equal([SupStatus.WaitTimedOut, SupStatus.Success], results.Order());
    }

    [Fact]
    public void A_timed_out_wait_waits_its_time()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent();
        long start = Stopwatch.GetTimestamp();
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(TimeSpan.FromMilliseconds(200)));
        Assert.InRange(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 195, 10_000);
    }

    [Fact]
    public async Task A_multi_event_stays_signalled_until_reset_and_wakes_every_waiter()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent(EventKind.Multi);
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));

        var waiting = new CountdownEvent(3);
        Task<SupStatus>[] waiters = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(
            () =>
            {
                waiting.Signal();
                return ev.Wait(LongWaitMs);
            },
            TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(waiting.Wait(LongWaitMs));
        ev.Signal();
        SupStatus[] woken = await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMilliseconds(LongWaitMs));
        Assert.All(woken, status => Assert.Equal(SupStatus.Success, status));

        // Still signalled: waits succeed until a reset.
        Assert.Equal(SupStatus.Success, ev.Wait(0));
        Assert.Equal(SupStatus.Success, ev.Wait(ShortWaitMs));
        ev.Reset();
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(ShortWaitMs));

        // Reset through the daemon and through a module too.
        ev.Signal();
        Call(client, SupFunction.EventReset, ev.Handle);
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));
        ulong module = Modules.Loaded(client, "test-flaky");
        ev.Signal();
        client.CallModule(client.GetSymbol(module, "ResetEvent"), 0, ev.Handle);
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));
    }

    [Fact]
    public async Task A_wait_is_woken_by_a_module()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent();
        ulong signal = client.GetSymbol(Modules.Loaded(client, "sample-echo"), "Signal");

        using var started = new ManualResetEventSlim();
        Task<SupStatus> waiter = Task.Factory.StartNew(
            () =>
            {
                started.Set();
                return ev.Wait(LongWaitMs);
            },
            TaskCreationOptions.LongRunning);
        Assert.True(started.Wait(LongWaitMs));
        long start = Stopwatch.GetTimestamp();
        Assert.Equal(SupStatus.Success, client.CallModule(signal, 0, ev.Handle));
        Assert.Equal(SupStatus.Success, await waiter.WaitAsync(TimeSpan.FromMilliseconds(LongWaitMs)));
        Assert.True(Stopwatch.GetElapsedTime(start).TotalMilliseconds < LongWaitMs);

        // The signal was consumed by the wake-up.
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));
    }

    [Fact]
    public async Task A_module_waits_on_a_clients_event()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using EventSemaphore ev = client.CreateEvent();
        ulong wait = client.GetSymbol(Modules.Loaded(client, "test-flaky"), "WaitEvent");

        Assert.Equal(SupStatus.WaitTimedOut, Assert.Throws<SupException>(() => client.CallModule(wait, ShortWaitMs, ev.Handle)).Status);
        ev.Signal();
        Assert.Equal(SupStatus.Success, client.CallModule(wait, ShortWaitMs, ev.Handle));
        Assert.Equal(SupStatus.WaitTimedOut, ev.Wait(0));

        // The module waits while the client signals from another thread.
        using SupClient second = daemon.Connect();
        Task<SupStatus> moduleWait = Task.Run(() => client.CallModule(wait, LongWaitMs, ev.Handle));
        Poll.Until(() => Modules.Live(second.ListModules(), "test-flaky").Calls >= 3, "the module's wait to start");
        ev.Signal();
        Assert.Equal(SupStatus.Success, await moduleWait.WaitAsync(TimeSpan.FromMilliseconds(LongWaitMs)));
    }

    [Fact]
    public void Bad_event_requests_get_their_statuses()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        byte[] badKind = new byte[EventCreateRequest.Size];
        new EventCreateRequest((EventKind)7).Write(badKind);
        SupException kind = Assert.Throws<SupException>(() => client.Call(SupFunction.EventCreate, badKind, HandleReply.Size));
        Assert.Equal(SupStatus.InvalidParameter, kind.Status);
        Assert.Equal("event kind 7 is neither 0 (auto-reset) nor 1 (multi)", kind.Message);
        byte[] reserved = new byte[EventCreateRequest.Size];
        new EventCreateRequest(EventKind.Multi, 1).Write(reserved);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => client.Call(SupFunction.EventCreate, reserved, HandleReply.Size)).Status);

        // Handles of another type, of another session, and closed ones are not events of this session.
        using SharedMemory memory = client.AllocatePages(1);
        SupException notEvent = Assert.Throws<SupException>(() => SignalThroughDaemon(client, memory.Handle));
        Assert.Equal(SupStatus.InvalidHandle, notEvent.Status);
        Assert.Equal($"handle 0x{memory.Handle:x16} is not an event this session holds", notEvent.Message);
        using SupClient other = daemon.Connect();
        using EventSemaphore theirs = other.CreateEvent();
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => SignalThroughDaemon(client, theirs.Handle)).Status);
        ulong signal = client.GetSymbol(Modules.Loaded(client, "sample-echo"), "Signal");
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => client.CallModule(signal, 0, theirs.Handle)).Status);
        Assert.Equal(SupStatus.WaitTimedOut, theirs.Wait(0));

        EventSemaphore closed = client.CreateEvent();
        ulong handle = closed.Handle;
        closed.Dispose();
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => Call(client, SupFunction.EventClose, handle)).Status);
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => SignalThroughDaemon(client, handle)).Status);
        Assert.Throws<ObjectDisposedException>(closed.Signal);

        // The daemon kept serving.
        client.Nop();
    }

    [Fact]
    public void Closing_and_a_killed_client_release_every_event()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        observer.ListObjects();
        int fdsBefore = daemon.FdCount();

        using (SupClient client = daemon.Connect())
        {
            EventSemaphore[] events = Enumerable.Range(0, 20).Select(i => client.CreateEvent(i % 2 == 0 ? EventKind.AutoReset : EventKind.Multi)).ToArray();
            Assert.Equal(10, observer.ListObjects().Count(o => o.Type == "event"));
            Assert.Equal(10, observer.ListObjects().Count(o => o.Type == "event-multi"));
            Assert.Equal(fdsBefore + 21, daemon.FdCount());
            foreach (EventSemaphore ev in events)
            {
                ev.Dispose();
            }

            Assert.DoesNotContain(observer.ListObjects(), o => o.Type.StartsWith("event", StringComparison.Ordinal));
            Assert.Equal(fdsBefore + 1, daemon.FdCount());
        }

        (Process peer, uint sessionId) = Tool.StartHoldingPeer("hold-events", daemon.RunDir, "10");
        using (peer)
        {
            Assert.Equal(10, observer.ListObjects().Count(o => o.Type.StartsWith("event", StringComparison.Ordinal) && o.Usages.Any(u => u.SessionId == sessionId)));
            peer.Kill();
            peer.WaitForExit();
        }

        Poll.Until(() => !observer.ListObjects().Any(o => o.Type.StartsWith("event", StringComparison.Ordinal)), "the killed client's events to go");
        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) to return");
    }

    private static void SignalThroughDaemon(SupClient client, ulong handle) => Call(client, SupFunction.EventSignal, handle);

    private static void Call(SupClient client, SupFunction function, ulong handle)
    {
        byte[] input = new byte[HandleRequest.Size];
        new HandleRequest(handle).Write(input);
        client.Call(function, input, 0);
    }
}
