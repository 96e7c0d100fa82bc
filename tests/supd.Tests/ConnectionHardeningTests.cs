using System.Diagnostics;
using System.Globalization;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Issue 9, connections: listings and replies of any size (7), idle connections (9), hang-ups in module calls (6).</summary>
public class ConnectionHardeningTests
{
    // Defect 7.

    [Fact]
    public void Replies_beyond_the_default_socket_buffer_and_listings_beyond_the_largest_reply_arrive_and_the_session_keeps_its_objects()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxObjectsPerSession": 13000 } }""");
        using SupClient observer = daemon.Connect();
        int fdsBefore = daemon.FdCount();
        using (SupClient holder = daemon.Connect())
        {
            // About 2,000 objects: a listing of ~300 KB, more than the 212,992-byte default socket buffer.
            for (int i = 0; i < 2000; i++)
            {
                holder.RegisterObject(ObjectTypeId.Vm, $"big-{i}");
            }

            using (var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName)))
            {
                raw.Handshake();
                RawSession.Reply whole = raw.Call(SupFunction.ListObjects, [], (1 << 20) - ProtocolConstants.HeaderSize);
                Assert.Equal(SupStatus.Success, whole.Status);
                Assert.True(whole.Payload.Length > 212_992, $"the listing has {whole.Payload.Length} bytes");
            }

            // 12,500 objects: more than the largest reply (1 MiB) holds as one listing.
            for (int i = 2000; i < 12_500; i++)
            {
                holder.RegisterObject(ObjectTypeId.Vm, $"big-{i}");
            }

            SupException tooLarge = Assert.Throws<SupOverflowException>(() => holder.Call(SupFunction.ListObjects, [], (1 << 20) - ProtocolConstants.HeaderSize));
            Assert.Contains("ask for it in pages", tooLarge.Message, StringComparison.Ordinal);

            IReadOnlyList<ObjectInfo> listed = observer.ListObjects();
            var names = listed.Where(o => o.Name?.StartsWith("big-", StringComparison.Ordinal) == true).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            Assert.Equal(12_500, names.Count);

            // The holder's session lived through it all and holds every object still.
            holder.Nop();
            Assert.Equal(12_500, observer.ListSessions().Single(s => s.Id == holder.SessionId).Objects);

            // supctl fetches every page too.
            (int code, string stdout, _) = Tool.Supctl("--run-dir", daemon.RunDir, "objects", "--json");
            Assert.Equal(0, code);
            Assert.Contains("\"big-12499\"", stdout, StringComparison.Ordinal);
        }

        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the holder's session to end");
        Assert.DoesNotContain(observer.ListObjects(), o => o.Name?.StartsWith("big-", StringComparison.Ordinal) == true);
        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) to return");
        using SupClient fresh = daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void A_page_start_past_the_end_and_a_bad_reserved_field_are_refused_by_name()
    {
        using Daemon daemon = Daemon.Start();
        using var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName));
        raw.Handshake();
        byte[] input = new byte[ListingRequest.Size];
        new ListingRequest(1000).Write(input);
        RawSession.Reply past = raw.Call(SupFunction.ListSessions, input, 4096);
        Assert.Equal(SupStatus.InvalidParameter, past.Status);
        Assert.Equal("start index 1000 is past the listing's 1 entries", past.Message);

        new ListingRequest(0).Write(input);
        input[4] = 1;
        Assert.Equal(SupStatus.InvalidParameter, raw.Call(SupFunction.ListSessions, input, 4096).Status);
        Assert.Equal(SupStatus.InvalidSize, raw.Call(SupFunction.ListSessions, input.AsSpan(0, 3), 4096).Status);

        // A page: head, then a JSON array.
        input[4] = 0;
        RawSession.Reply page = raw.Call(SupFunction.ListSessions, input, 4096);
        ListingPage head = ListingPage.Read(page.Payload);
        Assert.Equal((0u, 1u, 1u, (uint)((1 << 20) - ProtocolConstants.HeaderSize)), (head.Next, head.Total, head.Count, head.MaxOutput));
        Assert.Equal((byte)'[', page.Payload[ListingPage.Size]);
    }

    // Defect 9.

    [Fact]
    public void Silent_connections_of_another_uid_do_not_lock_a_member_out_and_refusals_answer_at_once()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "HandshakeTimeoutSeconds": 60 } }""");
        using var user = new TestUser();
        int fdsBefore = daemon.FdCount();
        using (Process attacker = StartAs(user, "silent", daemon.RunDir, "restricted", "1100"))
        {
            // The 1,100 connections are all in: the member still gets a session on the full endpoint.
            using SupClient member = daemon.Connect();
            member.Nop();
            StatusInfo status = member.QueryStatus();
            Assert.Equal(256 + 1, status.Sessions);
            Assert.True(status.SessionsRefused >= 1100 - 256, $"{status.SessionsRefused} refused");

            // The attacker's uid gets a refusal with the reason, not a wait.
            (int code, string stdout, string stderr) = user.Run(Tool.PeerCommand("connect", daemon.RunDir, "restricted"));
            Assert.Equal(3, code);
            Assert.Equal("STATUS LimitReached", stdout.Trim());
            Assert.Contains("per-uid limit of 256", stderr, StringComparison.Ordinal);
            attacker.StandardInput.Close();
            attacker.WaitForExit();
        }

        using SupClient after = daemon.Connect();
        Poll.Until(() => after.QueryStatus().Sessions == 1, "the attacker's sessions to end");
        Poll.Until(() => daemon.FdCount() == fdsBefore + 1, () => $"descriptors {daemon.FdCount()} (was {fdsBefore} and one session) to return");
    }

    [Fact]
    public void Connections_that_do_not_handshake_are_closed_at_the_deadline()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "HandshakeTimeoutSeconds": 1 } }""");
        using SupClient observer = daemon.Connect();
        int fdsBefore = daemon.FdCount();
        var silent = Enumerable.Range(0, 20).Select(_ => new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.RestrictedSocketName))).ToList();
        try
        {
            // One of them keeps sending requests that fail: that does not extend its deadline.
            RawSession.Reply early = silent[0].Exchange(RawSession.Request(0, SupFunction.Nop, [], 0));
            Assert.Equal(SupStatus.HandshakeRequired, early.Status);
            daemon.WaitForOutput("no handshake within 1 s of connecting; closed");
            Poll.Until(() => observer.QueryStatus().Sessions == 1, "the silent sessions to be closed");
            foreach (RawSession raw in silent)
            {
                Assert.Null(raw.Receive());
            }
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) to return");
        using SupClient fresh = daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void Refusals_beyond_many_silent_refused_connections_answer_at_once()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxSessionsPerUid": 2 } }""");
        using SupClient first = daemon.Connect();
        using SupClient second = daemon.Connect();

        // 300 refused connections that never send a request: none of them may hold up the next refusal.
        var silent = Enumerable.Range(0, 300).Select(_ => new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName))).ToList();
        try
        {
            var refused = Assert.Throws<SupException>(() => SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Timeout = TimeSpan.FromSeconds(5) }));
            Assert.Equal(SupStatus.LimitReached, refused.Status);
            Assert.Equal("supd refused the connection: uid 0 holds 2 sessions over all its sessions; 1 more would exceed the per-uid limit of 2", refused.Message);
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        first.Nop();
        Assert.Equal(2, first.QueryStatus().Sessions);
    }

    [Fact]
    public void Idle_connections_that_sent_one_big_datagram_do_not_keep_its_memory()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxSessionsPerUid": 400 } }""");
        int limit = ProtocolConstants.DefaultMaxRequestSize;
        byte[] accepted = RawSession.Request(0, SupFunction.Nop, new byte[limit - ProtocolConstants.HeaderSize], 0);
        byte[] rejected = new byte[limit + 4096];
        MessageHeader.ForRequest(0, SupFunction.Nop, rejected.Length - ProtocolConstants.HeaderSize, 0, 1).Write(rejected);

        // Warm the paths first, so the baseline holds what the code needs anyway.
        SendBigAndKeep(daemon, 4, accepted, rejected).ForEach(s => s.Dispose());
        using SupClient observer = daemon.Connect();
        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the warm-up sessions to end");
        long before = ResidentKiB(daemon.Pid);
        List<SafeFd> idle = SendBigAndKeep(daemon, 300, accepted, rejected);
        try
        {
            long after = ResidentKiB(daemon.Pid);

            // A megabyte kept per connection would be 300 MiB; threads and small buffers are far less.
            Assert.True(after - before < 100 * 1024, $"VmRSS grew from {before} to {after} KiB over 300 idle connections");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }

        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the idle sessions to end");
    }

    // The smaller ones.

    [Fact]
    public async Task Dispose_wakes_a_call_blocked_waiting_for_its_reply()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        var client = SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Timeout = TimeSpan.FromMinutes(5) });
        ulong symbol = client.GetSymbol(LoadedFlaky(client), "WaitForCancel");
        Task<SupStatus> call = Task.Run(() => client.CallModule(symbol, 0, 0));
        Poll.Until(() => Modules.Live(observer.ListModules(), "test-flaky").Calls >= 1, "the call to start");
        client.Dispose();
        Task first = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.Same(call, first);
        var ex = await Assert.ThrowsAsync<SupException>(() => call);
        Assert.Equal(SupStatus.Disconnected, ex.Status);
        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the disposed client's session to end");
    }

    [Fact]
    public void A_late_reply_after_a_timeout_is_discarded_by_sequence()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient loader = daemon.Connect();
        LoadedFlaky(loader);
        using var client = SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Timeout = TimeSpan.FromSeconds(1) });
        ulong sleep = client.GetSymbol(LoadedFlaky(client), "Sleep");
        var timedOut = Assert.Throws<SupException>(() => client.CallModule(sleep, 0, 1200));
        Assert.Equal(SupStatus.Timeout, timedOut.Status);

        // The Sleep reply arrives while this request waits: it is skipped, and this one's is taken.
        SupReply status = client.CallModule(sleep, 0, 0, [], 0);
        Assert.Equal(SupStatus.Success, status.Status);
    }

    [Fact]
    public void The_cookie_requests_reserved_field_is_checked_and_short_datagrams_are_answered_with_their_function_and_sequence()
    {
        using Daemon daemon = Daemon.Start();
        using var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName));
        byte[] cookie = RawSession.CookiePayload(ProtocolConstants.Version);
        cookie[20] = 7;
        RawSession.Reply reserved = raw.Exchange(RawSession.Request(0, SupFunction.Cookie, cookie, CookieReply.Size));
        Assert.Equal(SupStatus.InvalidParameter, reserved.Status);
        Assert.Equal("the cookie request's reserved field (offset 20) is 0x00000007; it must be 0", reserved.Message);

        byte[] shortDatagram = RawSession.Request(0, SupFunction.Nop, [], 0, sequence: 77)[..36];
        RawSession.Reply echoed = raw.Exchange(shortDatagram);
        Assert.Equal(SupStatus.InvalidSize, echoed.Status);
        Assert.Equal((SupFunction.Nop, 77u), (echoed.Header.Function, echoed.Header.Sequence));

        byte[] shorter = RawSession.Request(0, SupFunction.Nop, [], 0, sequence: 77)[..20];
        Assert.Equal((SupFunction.Nop, 0u), (raw.Exchange(shorter).Header.Function, raw.Exchange(shorter).Header.Sequence));
        Assert.Equal(SupStatus.Success, raw.Handshake().Status);
    }

    // Defect 6.

    [Fact]
    public void A_client_killed_inside_a_blocking_module_call_is_cleaned_up_when_the_call_sees_its_cancellation()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();

        // Load and unload the module once, so the baseline holds what loading leaves in the process.
        using (SupClient warm = daemon.Connect())
        {
            LoadedFlaky(warm);
        }

        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the warm-up session to end");
        int fdsBefore = daemon.FdCount();
        (Process peer, uint sessionId) = Tool.StartHoldingPeer("call-module", daemon.RunDir, "test-flaky", "WaitForCancel", "0");
        using (peer)
        {
            Poll.Until(() => Modules.Live(observer.ListModules(), "test-flaky").Calls >= 1, "the peer's call to start");
            Assert.Contains(observer.ListSessions(), s => s.Id == sessionId && s.Objects == 1);
            peer.Kill();
            peer.WaitForExit();
        }

        Poll.Until(() => observer.ListSessions().All(s => s.Id != sessionId), "the killed peer's session to end");
        Assert.Equal(0, observer.QueryStatus().CallsIgnoringCancellation);
        Assert.DoesNotContain(observer.ListModules(), m => m.Name == "test-flaky" && m.References.Any(r => r.SessionId == sessionId));
        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) to return: {daemon.FdTargets()}");
        using SupClient fresh = daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void A_call_that_ignores_its_cancellation_is_logged_and_counted_and_its_session_ends_when_it_returns()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "CancelGraceSeconds": 0.5 } }""");
        using SupClient observer = daemon.Connect();
        (Process peer, uint sessionId) = Tool.StartHoldingPeer("call-module", daemon.RunDir, "test-flaky", "Sleep", "4000");
        using (peer)
        {
            Poll.Until(() => Modules.Live(observer.ListModules(), "test-flaky").Calls >= 1, "the peer's call to start");
            peer.Kill();
            peer.WaitForExit();
        }

        daemon.WaitForOutput("ModuleCall still runs");
        Assert.Equal(1, observer.QueryStatus().CallsIgnoringCancellation);
        (int code, string stdout, _) = Tool.Supctl("--run-dir", daemon.RunDir, "status");
        Assert.Equal(0, code);
        Assert.Contains("cancelled calls 1 ignored their cancellation", stdout, StringComparison.Ordinal);
        Poll.Until(() => observer.ListSessions().All(s => s.Id != sessionId), "the session to end once the call returned");
    }

    [Fact]
    public void Stopping_does_not_wait_for_calls_that_ignore_cancellation_one_session_after_another()
    {
        Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "CancelGraceSeconds": 1 } }""");
        try
        {
            var clients = Enumerable.Range(0, 4).Select(_ => SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Timeout = TimeSpan.FromMinutes(5) })).ToList();
            var calls = clients.Select(c => Task.Run(() => c.CallModule(c.GetSymbol(LoadedFlaky(c), "Sleep"), 0, 120_000))).ToList();
            using (SupClient observer = daemon.Connect())
            {
                Poll.Until(() => observer.ListModules().SingleOrDefault(m => m.Name == "test-flaky")?.Calls >= 4, "the four calls to start");
            }

            // Four sessions joined 10 s each, one after another, would outlast Terminate's 30 s.
            Assert.Equal(0, daemon.Terminate());
            Assert.Contains("4 sessions still run a call 1 s after their cancellation; not waiting for them", daemon.Output, StringComparison.Ordinal);
            foreach (Task<SupStatus> call in calls)
            {
                Assert.Equal(SupStatus.Disconnected, Assert.Throws<AggregateException>(() => call.Wait()).InnerException is SupException ex ? ex.Status : SupStatus.Success);
            }

            clients.ForEach(c => c.Dispose());
        }
        finally
        {
            daemon.Dispose();
        }
    }

    private static ulong LoadedFlaky(SupClient client)
    {
        ModuleOpenReply open = client.OpenModule("test-flaky");
        try
        {
            client.LoadModule(open.Handle);
        }
        catch (SupException ex) when (ex.Status == SupStatus.ModuleInitFailed)
        {
            // test-flaky fails its first init on purpose.
            client.LoadModule(open.Handle);
        }

        return open.Handle;
    }

    private static Process StartAs(TestUser user, params string[] args)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string arg in (string[])["--reuid", user.Name, "--regid", user.Name, "--init-groups", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", .. Tool.PeerCommand(args)])
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("setpriv did not start");
        string? ready = process.StandardOutput.ReadLine();
        if (ready is null || !ready.StartsWith("READY ", StringComparison.Ordinal))
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException($"the peer said '{ready}' instead of READY");
        }

        return process;
    }

    /// <summary>Opens <paramref name="count"/> connections that each send one big datagram (half within the limit, half beyond) and read the error.</summary>
    private static unsafe List<SafeFd> SendBigAndKeep(Daemon daemon, int count, byte[] accepted, byte[] rejected)
    {
        var sockets = new List<SafeFd>();
        byte* reply = stackalloc byte[ProtocolConstants.HeaderSize + ProtocolConstants.MaxMessageSize];
        for (int i = 0; i < count; i++)
        {
            SafeFd fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
            sockets.Add(fd);
            Libc.SizeBuffers(fd, rejected.Length, 4096);
            Libc.SetReceiveTimeout(fd, TimeSpan.FromSeconds(30));
            Libc.Connect(fd, Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName));
            byte[] datagram = i % 2 == 0 ? accepted : rejected;
            fixed (byte* p = datagram)
            {
                Assert.Equal(Errno.None, Libc.SendMessage(fd, p, datagram.Length));
            }

            ReceiveResult received = Libc.ReceiveMessage(fd, reply, ProtocolConstants.HeaderSize + ProtocolConstants.MaxMessageSize);
            Assert.Equal(Errno.None, received.Error);
            SupStatus status = MessageHeader.Read(new ReadOnlySpan<byte>(reply, ProtocolConstants.HeaderSize)).Status;
            Assert.Equal(i % 2 == 0 ? SupStatus.HandshakeRequired : SupStatus.RequestTooLarge, status);
        }

        return sockets;
    }

    private static long ResidentKiB(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
