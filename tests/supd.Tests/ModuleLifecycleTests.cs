using System.Diagnostics;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class ModuleLifecycleTests
{
    [Fact]
    public void A_killed_session_drops_its_module_references_and_objects()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        (Process peer, uint sessionId) = Tool.StartHoldingPeer("hold-module", daemon.RunDir, "sample-registry");
        using Process killed = peer;
        ModuleInfo held = Assert.Single(observer.ListModules(), m => !Daemon.StartModules.Contains(m.Name));
        Assert.Equal([new ObjectUsageInfo(sessionId, 1)], held.References);
        Assert.Equal(1, held.Objects);

        peer.Kill();
        peer.WaitForExit();
        Poll.Until(() => observer.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "the killed session's module to be unloaded and collected");
        Assert.Empty(observer.ListObjects());
        Assert.DoesNotContain(observer.ListFactories(), f => !Daemon.IsStartModuleFactory(f));
        daemon.WaitForOutput("sample-registry done");
    }

    [Fact]
    public void Lock_down_stops_new_modules_but_not_loaded_ones()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        ModuleOpenReply echo = client.OpenModule("sample-echo");
        client.LoadModule(echo.Handle);
        ModuleOpenReply flaky = client.OpenModule("test-flaky");

        client.LockDownModules();
        client.LockDownModules();
        Assert.True(client.QueryStatus().LockedDown);

        SupException open = Assert.Throws<SupException>(() => client.OpenModule("sample-registry"));
        Assert.Equal(SupStatus.LockedDown, open.Status);
        Assert.Contains("locked down", open.Message, StringComparison.Ordinal);
        Assert.Equal(SupStatus.LockedDown, Assert.Throws<SupException>(() => client.LoadModule(flaky.Handle)).Status);

        // What is loaded stays shareable.
        using SupClient other = daemon.Connect();
        Assert.False(other.OpenModule("sample-echo").NeedsLoading);
        Assert.Equal(SupStatus.Success, other.CallModule(other.GetSymbol(echo.Handle, "Nop"), 0, 0));
    }

    [Fact]
    public void Lock_down_can_be_refused_by_configuration()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "AllowLockDown": false } }""");
        using SupClient client = daemon.Connect();
        SupException refused = Assert.Throws<SupException>(client.LockDownModules);
        Assert.Equal(SupStatus.PermissionDenied, refused.Status);
        Assert.Contains("Supd:AllowLockDown", refused.Message, StringComparison.Ordinal);
        Assert.False(client.QueryStatus().LockedDown);
    }

    [Fact]
    public void A_module_that_cannot_be_collected_is_shown_by_name_with_the_reason()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "UnloadTimeoutSeconds": 0.5 } }""");
        using SupClient client = daemon.Connect();
        ModuleOpenReply open = client.OpenModule("test-sticky");
        client.LoadModule(open.Handle);
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));

        Poll.Until(() => client.ListModules().Any(m => m.Name == "test-sticky" && m.State == "stuck"), "the sticky module to be reported stuck");
        ModuleInfo stuck = client.ListModules().Single(m => m.Name == "test-sticky");
        Assert.Contains("something outside the module still references its code", stuck.HeldBy, StringComparison.Ordinal);
        StatusInfo status = client.QueryStatus();
        Assert.Equal(status.ModulesCollected + 1, status.ModulesUnloaded);
        daemon.WaitForOutput("Module test-sticky: its load context was not collected");

        (int code, string table, _) = Tool.Supctl("modules", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        Assert.Contains("test-sticky", table, StringComparison.Ordinal);
        Assert.Contains("stuck", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_call_over_the_time_limit_is_logged_and_shown()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "SlowCallMilliseconds": 100 } }""");
        using SupClient client = daemon.Connect();
        ModuleOpenReply flaky = client.OpenModule("test-flaky");
        Assert.Throws<SupException>(() => client.LoadModule(flaky.Handle));
        client.LoadModule(flaky.Handle);
        ulong sleep = client.GetSymbol(flaky.Handle, "Sleep");
        client.CallModule(sleep, 0, 10);
        client.CallModule(sleep, 0, 300);

        ModuleInfo info = Assert.Single(client.ListModules(), m => m.Name == "test-flaky");
        Assert.Equal(1, info.SlowCalls);
        Assert.StartsWith("Sleep ", info.LastSlowCall, StringComparison.Ordinal);
        daemon.WaitForOutput("Module test-flaky: Sleep took");
        Assert.Contains("the limit is 100 ms", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_hundred_load_call_unload_cycles_leave_memory_flat_and_every_context_collected()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        byte[] data = new byte[256];
        void Cycle()
        {
            ModuleOpenReply open = client.OpenModule("sample-registry");
            client.LoadModule(open.Handle);
            SupReply created = client.CallModule(client.GetSymbol(open.Handle, "CreateCounter"), 0, 0, data, 8);
            Assert.Equal(SupStatus.ObjectDestroyed, client.Release(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(created.Payload)));
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
        }

        // Warm up (JIT, first-use allocations), then take the baseline once the contexts are gone.
        for (int i = 0; i < 20; i++)
        {
            Cycle();
        }

        StatusInfo baseline = WaitCollected(client);
        for (int i = 0; i < 200; i++)
        {
            Cycle();
        }

        StatusInfo after = WaitCollected(client);
        Assert.Equal(baseline.ModulesUnloaded + 200, after.ModulesUnloaded);

        // Bounds: a leaked context holds its assembly (hundreds of KiB each), so 200 leaks would be
        // tens of MiB; the bounds leave room only for noise.
        long heapGrowth = after.ManagedHeapBytes - baseline.ManagedHeapBytes;
        long rssGrowth = after.ResidentBytes - baseline.ResidentBytes;
        Assert.True(heapGrowth < 4 << 20, $"managed heap grew {heapGrowth} bytes over 200 cycles (bound 4 MiB)");
        Assert.True(rssGrowth < 24 << 20, $"RSS grew {rssGrowth} bytes over 200 cycles (bound 24 MiB)");
    }

    [Fact]
    public void Supctl_loads_calls_and_unloads_a_module()
    {
        using Daemon daemon = Daemon.Start();
        (int code, string stdout, string stderr) = Tool.Supctl("module", "load", "sample-echo", "--run-dir", daemon.RunDir);
        Assert.True(code == 0, stderr);
        Assert.Equal("sample-echo: loaded (Abi 1.2); the daemon keeps it loaded", stdout.Trim());
        Assert.Equal("sample-echo: already loaded; the daemon keeps it loaded", Tool.Supctl("module", "load", "sample-echo", "--run-dir", daemon.RunDir).Stdout.Trim());

        (code, stdout, _) = Tool.Supctl("module", "call", "sample-echo", "Echo", "--op", "1", "--data", "00ff10", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        Assert.Equal("status Success (0), 3 bytes: 010011", stdout.Trim());

        (code, stdout, _) = Tool.Supctl("modules", "--json", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        JsonElement echo = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "sample-echo");
        Assert.Equal("loaded", echo.GetProperty("state").GetString());
        Assert.Equal(0u, echo.GetProperty("references")[0].GetProperty("sessionId").GetUInt32());
        Assert.Equal(1, echo.GetProperty("calls").GetInt64());

        (code, stdout, _) = Tool.Supctl("module", "unload", "sample-echo", "--run-dir", daemon.RunDir);
        Assert.Equal(0, code);
        Assert.Equal("sample-echo: terminated and unloaded", stdout.Trim());

        (code, _, stderr) = Tool.Supctl("module", "unload", "sample-echo", "--run-dir", daemon.RunDir);
        Assert.Equal(1, code);
        Assert.Contains("module 'sample-echo' is not loaded", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Tool.Supctl("module", "call", "sample-echo", "Echo", "--data", "xyz", "--run-dir", daemon.RunDir);
        Assert.Equal(1, code);
        Assert.Contains("is not hexadecimal", stderr, StringComparison.Ordinal);
        Assert.Equal(2, Tool.Supctl("module", "load", "--run-dir", daemon.RunDir).ExitCode);
    }

    private static StatusInfo WaitCollected(SupClient client)
    {
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "every unloaded module context to be collected", 60_000);
        return client.QueryStatus();
    }
}
