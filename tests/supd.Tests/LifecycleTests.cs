using System.Diagnostics;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class LifecycleTests
{
    [Fact]
    public void A_client_killed_while_holding_objects_and_factories_leaves_nothing_behind()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        WarmUp(daemon, observer);
        StatusInfo before = observer.QueryStatus();
        int fdsBefore = daemon.FdCount();

        (Process peer, uint sessionId) = Tool.StartHoldingPeer("hold", daemon.RunDir, "5", "3");
        using Process killed = peer;

        Assert.Equal(5, observer.ListObjects().Count(o => o.Usages.Any(u => u.SessionId == sessionId && u.References == 2)));
        Assert.Equal(3, observer.ListFactories().Count(f => f.OwnerSessionId == sessionId));
        Assert.Contains(observer.ListSessions(), s => s.Id == sessionId && s.Pid == peer.Id && s.Objects == 5 && s.Factories == 3);

        peer.Kill();
        peer.WaitForExit();
        Poll.Until(() => observer.ListSessions().All(s => s.Id != sessionId), "the killed peer's session to end");

        // What an operator sees: nothing of the peer's, through the real supctl.
        (int code, string objectsJson, _) = Tool.Supctl("objects", "--json", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        Assert.Equal(0, JsonDocument.Parse(objectsJson).RootElement.GetArrayLength());
        (code, string factoriesJson, _) = Tool.Supctl("factories", "--json", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        Assert.Equal(Daemon.StartModuleFactoryCount, JsonDocument.Parse(factoriesJson).RootElement.GetArrayLength());

        // Every destructor ran, once each, and no descriptor is left.
        StatusInfo after = observer.QueryStatus();
        Assert.Equal(before.ObjectsCreated + 5, after.ObjectsCreated);
        Assert.Equal(before.ObjectsDestroyed + 5, after.ObjectsDestroyed);
        Assert.Equal(Daemon.StartModuleFactoryCount, after.Factories);
        Assert.Empty(after.ObjectsByType);
        Poll.Until(() => daemon.FdCount() == fdsBefore, $"the daemon's descriptors to return to {fdsBefore} (now {daemon.FdCount()})");
    }

    [Fact]
    public void A_thousand_sequential_and_a_hundred_concurrent_sessions_come_and_go()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        WarmUp(daemon, observer);
        int fdsBefore = daemon.FdCount();
        string targetsBefore = daemon.FdTargets();
        long openedBefore = observer.QueryStatus().SessionsOpened;

        for (int i = 0; i < 1000; i++)
        {
            using SupClient client = daemon.Connect();
            client.Nop();
        }

        var clients = new SupClient[100];
        Parallel.For(0, clients.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            clients[i] = daemon.Connect();
            ulong handle = clients[i].RegisterObject(ObjectTypeId.Vm, $"concurrent-{i}");
            clients[i].AddReference(handle);
        });
        StatusInfo during = observer.QueryStatus();
        Assert.True(during.Sessions >= 101, $"{during.Sessions} sessions open with 100 clients and the observer");
        Assert.Equal(100, during.ObjectsByType["vm"]);
        Assert.Equal(100, clients.Select(c => c.SessionId).Distinct().Count());

        foreach (SupClient client in clients)
        {
            client.Dispose();
        }

        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the 100 sessions to end");
        StatusInfo after = observer.QueryStatus();
        Assert.Equal(openedBefore + 1100, after.SessionsOpened);
        Assert.Empty(after.ObjectsByType);
        Assert.Equal(after.ObjectsCreated, after.ObjectsDestroyed);
        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"the daemon's descriptors to return to {fdsBefore}: before {targetsBefore}; now {daemon.FdTargets()}");
    }

    [Fact]
    public void Sigterm_ends_every_session_as_if_its_client_had_gone_and_removes_the_sockets()
    {
        Daemon daemon = Daemon.Start();
        try
        {
            using SupClient client = daemon.Connect();
            client.RegisterObject(ObjectTypeId.Vm, "until-shutdown");
            client.RegisterFactory("until-shutdown", [Guid.NewGuid()]);

            Assert.Equal(0, daemon.Terminate());
            Assert.Equal(SupStatus.Disconnected, Assert.Throws<SupException>(client.Nop).Status);
            Assert.False(File.Exists(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName)));
            Assert.False(File.Exists(Path.Combine(daemon.RunDir, ProtocolConstants.RestrictedSocketName)));
            Assert.Contains("Stopping: ending 1 sessions", daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Dispose();
        }
    }

    [Fact]
    public void A_second_daemon_refuses_a_live_run_directory_and_replaces_a_stale_one()
    {
        string runDir;
        using (Daemon first = Daemon.Start())
        {
            runDir = first.RunDir;
            (int code, string output) = Daemon.RunExpectingRefusal("--run-dir", runDir);
            Assert.Equal(1, code);
            Assert.Contains($"another supd is running on {runDir}", output, StringComparison.Ordinal);
            Assert.Contains($"by pid {first.Pid}", output, StringComparison.Ordinal);

            // The first one is unharmed.
            using SupClient client = first.Connect();
            client.Nop();

            // Die without cleaning up: the sockets stay behind, the lock goes with the process.
            first.Process.Kill();
            first.Process.WaitForExit();
            Assert.True(File.Exists(Path.Combine(runDir, ProtocolConstants.FullSocketName)));

            using Daemon second = Daemon.Start(runDir, []);
            using SupClient again = second.Connect();
            again.Nop();
            second.WaitForOutput("Replaced a stale socket");
        }
    }

    [Fact]
    public void The_run_directory_comes_from_the_environment_when_no_option_names_one()
    {
        string runDir = Path.Combine(Path.GetTempPath(), $"supd-env-{Guid.NewGuid():N}");
        try
        {
            using Daemon daemon = Daemon.Start(runDir, [], new Dictionary<string, string> { ["SUPHOST_RUN_DIR"] = runDir }, passRunDir: false);
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            Assert.Equal(runDir, client.QueryStatus().RunDirectory);
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void Bad_command_lines_and_configuration_are_refused_with_one_clear_line()
    {
        string runDir = Path.Combine(Path.GetTempPath(), $"supd-refused-{Guid.NewGuid():N}");
        (int code, string output) = Daemon.RunExpectingRefusal("--frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("supd: Unrecognized command or argument '--frobnicate'", output, StringComparison.Ordinal);

        (code, output) = Daemon.RunExpectingRefusal("--run-dir", runDir, "--max-request-size", "100");
        Assert.Equal(1, code);
        Assert.Equal("supd: the request size limit 100 is outside 4096..16777216", output.Trim());

        string config = Path.Combine(Path.GetTempPath(), $"supd-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(config, """{ "Supd": { "MaxRequestSize": "lots" } }""");
            (code, output) = Daemon.RunExpectingRefusal("--run-dir", runDir, "--config", config);
            Assert.Equal(1, code);
            Assert.Contains("'lots' at 'Supd:MaxRequestSize'", output, StringComparison.Ordinal);

            File.WriteAllText(config, """{ "Supd": """);
            (code, output) = Daemon.RunExpectingRefusal("--run-dir", runDir, "--config", config);
            Assert.Equal(1, code);
            Assert.Contains("Could not parse the JSON file", output, StringComparison.Ordinal);

            (code, output) = Daemon.RunExpectingRefusal("--run-dir", runDir, "--config", config + ".missing");
            Assert.Equal(2, code);
            Assert.Contains("does not exist", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }

        Assert.False(Directory.Exists(runDir), "a refused start must not create the run directory");
    }

    [Fact]
    public void Connections_over_the_session_limit_are_told_why_and_closed()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxSessions": 2 } }""");
        using SupClient first = daemon.Connect();
        SupException refused;
        using (SupClient second = daemon.Connect())
        {
            refused = Assert.Throws<SupException>(() => daemon.Connect(SupEndpoint.Restricted));
        }

        Assert.Equal(SupStatus.LimitReached, refused.Status);
        Assert.Equal("supd refused the connection: 2 sessions are held; 1 more would exceed the daemon's limit of 2", refused.Message);

        // Once a session ends there is room again.
        Poll.Until(() => first.QueryStatus().Sessions == 1, "the second session to end");
        using SupClient third = daemon.Connect();
        third.Nop();
    }

    [Fact]
    public void The_request_limit_comes_from_a_configuration_file()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxRequestSize": 65536, "SocketGroup": "suphost" } }""");
        using SupClient client = daemon.Connect();
        Assert.Equal(65536, client.QueryStatus().MaxRequestSize);
    }

    /// <summary>
    /// Runs every code path the test will use once, so that what the runtime opens lazily (assembly
    /// files mapped on first use) is in the descriptor baseline rather than counted as a leak.
    /// </summary>
    private static void WarmUp(Daemon daemon, SupClient observer)
    {
        using (SupClient client = daemon.Connect())
        {
            ulong handle = client.RegisterObject(ObjectTypeId.Vm, "warm-up");
            client.AddReference(handle);
            client.RegisterFactory("warm-up", [Guid.NewGuid()]);
            observer.ListObjects();
            observer.ListFactories();
            observer.ListSessions();
        }

        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the warm-up session to end");
        Tool.Supctl("objects", "--json", "--run-dir", daemon.RunDir);
        Tool.Supctl("factories", "--json", "--run-dir", daemon.RunDir);
        Poll.Until(() => observer.QueryStatus().Sessions == 1, "the warm-up supctl sessions to end");
    }
}
