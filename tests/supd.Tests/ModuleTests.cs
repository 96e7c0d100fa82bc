using System.Buffers.Binary;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class ModuleTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private Daemon Daemon => fixture.Daemon;

    [Fact]
    public void Two_sessions_share_one_load_and_the_module_terminates_after_both_free_it()
    {
        // A daemon of its own, so that its log holds this test's init and term and no others.
        using Daemon daemon = Daemon.Start();
        using SupClient a = daemon.Connect();
        using SupClient b = daemon.Connect();
        ModuleOpenReply openA = a.OpenModule("sample-echo");
        Assert.True(openA.NeedsLoading);
        Assert.Equal(0x00010002u, openA.AbiVersion);
        Assert.Equal(SupStatus.Success, a.LoadModule(openA.Handle));

        ModuleOpenReply openB = b.OpenModule("sample-echo");
        Assert.False(openB.NeedsLoading);
        Assert.Equal(openA.Handle, openB.Handle);
        Assert.Equal(SupStatus.AlreadyLoaded, b.LoadModule(openB.Handle));

        ModuleInfo info = Assert.Single(a.ListModules(), m => m.Name == "sample-echo");
        Assert.Equal("loaded", info.State);
        Assert.Equal(1, info.InitCalls);
        Assert.Equal(0, info.TermCalls);
        Assert.Equal(["Echo", "EchoDescriptors", "Nop", "Signal", "Time"], info.Symbols);
        Assert.Equal([new ObjectUsageInfo(a.SessionId, 1), new ObjectUsageInfo(b.SessionId, 1)], info.References);

        // Calls reach the module in the daemon.
        SupReply echoed = b.CallModule(b.GetSymbol(openB.Handle, "Echo"), 2, 0, [1, 2, 3], 16);
        Assert.Equal(new byte[] { 3, 4, 5 }, echoed.Payload);
        Assert.Equal(SupStatus.Success, a.CallModule(a.GetSymbol(openA.Handle, "Nop"), 0, 0));

        Assert.Equal(SupStatus.Success, a.FreeModule(openA.Handle));
        Assert.Equal("loaded", Assert.Single(b.ListModules(), m => m.Name == "sample-echo").State);
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => a.FreeModule(openA.Handle)).Status);
        Assert.Equal(SupStatus.ModuleUnloaded, b.FreeModule(openB.Handle));
        Assert.DoesNotContain(b.ListModules(), m => m.Name == "sample-echo" && m.State is "loaded" or "opened");

        // Init and term each ran exactly once (the module logs both).
        daemon.WaitForOutput("[sample-echo] sample-echo done");
        daemon.WaitForOutput("Module sample-echo terminated and unloaded");
        Assert.Equal(1, Count(daemon.Output, "[sample-echo] sample-echo ready"));
        Assert.Equal(1, Count(daemon.Output, "[sample-echo] sample-echo done"));
    }

    [Fact]
    public void Every_failure_has_its_own_status_and_message()
    {
        using SupClient client = Daemon.Connect();

        SupException missing = Assert.Throws<SupException>(() => client.OpenModule("no-such-module"));
        Assert.Equal(SupStatus.ModuleNotFound, missing.Status);
        Assert.Contains("looked for no-such-module/no-such-module.dll", missing.Message, StringComparison.Ordinal);

        SupException badName = Assert.Throws<SupException>(() => client.OpenModule("../etc"));
        Assert.Equal(SupStatus.InvalidName, badName.Status);

        SupException future = Assert.Throws<SupException>(() => client.OpenModule("test-abi-future"));
        Assert.Equal(SupStatus.ModuleVersionMismatch, future.Status);
        Assert.Equal("module 'test-abi-future' was built against SupHost.Abi 1.3; this daemon offers 1.2 (a newer minor needs a newer daemon)", future.Message);

        SupException major = Assert.Throws<SupException>(() => client.OpenModule("test-abi-major"));
        Assert.Equal(SupStatus.ModuleVersionMismatch, major.Status);
        Assert.Contains("built against SupHost.Abi 2.0; this daemon offers 1.2 (the major must match)", major.Message, StringComparison.Ordinal);

        ModuleOpenReply echo = client.OpenModule("sample-echo");
        SupException notLoaded = Assert.Throws<SupException>(() => client.GetSymbol(echo.Handle, "Echo"));
        Assert.Equal(SupStatus.ModuleNotLoaded, notLoaded.Status);
        client.LoadModule(echo.Handle);
        SupException unknown = Assert.Throws<SupException>(() => client.GetSymbol(echo.Handle, "Frobnicate"));
        Assert.Equal(SupStatus.SymbolNotFound, unknown.Status);
        Assert.Contains("exports no entry point 'Frobnicate' (it has Echo, EchoDescriptors, Nop, Signal, Time)", unknown.Message, StringComparison.Ordinal);

        SupException tooSmall = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(echo.Handle, "Echo"), 0, 0, new byte[10], 4));
        Assert.Equal(-1000, (int)tooSmall.Status);
        Assert.Contains("sample-echo.Echo returned status -1000", tooSmall.Message, StringComparison.Ordinal);

        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => client.CallModule(0x1234, 0, 0)).Status);
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => client.LoadModule(echo.Handle ^ 1)).Status);
        client.FreeModule(echo.Handle);
    }

    [Fact]
    public void A_throwing_init_fails_the_load_cleanly_and_the_module_loads_on_the_next_try()
    {
        using SupClient client = Daemon.Connect();
        using SupClient other = Daemon.Connect();
        ModuleOpenReply open = client.OpenModule("test-flaky");
        SupException failed = Assert.Throws<SupException>(() => client.LoadModule(open.Handle));
        Assert.Equal(SupStatus.ModuleInitFailed, failed.Status);
        Assert.Equal("init of module 'test-flaky' failed: InvalidOperationException: first init fails on purpose", failed.Message);
        Assert.Equal("opened", Assert.Single(client.ListModules(), m => m.Name == "test-flaky").State);

        Assert.Equal(SupStatus.Success, client.LoadModule(open.Handle));
        Assert.Equal(2, Assert.Single(client.ListModules(), m => m.Name == "test-flaky").InitCalls);

        // A throwing entry point fails that call only.
        ulong thrower = client.GetSymbol(open.Handle, "Throw");
        SupException threw = Assert.Throws<SupException>(() => client.CallModule(thrower, 7, 0));
        Assert.Equal(SupStatus.ModuleCallFailed, threw.Status);
        Assert.Equal("test-flaky.Throw threw InvalidOperationException: entry point threw on purpose (operation 7)", threw.Message);
        Assert.Equal(-4242, (int)Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(open.Handle, "Fail"), 0, 0)).Status);
        client.Nop();
        other.Nop();
        ModuleInfo info = Assert.Single(client.ListModules(), m => m.Name == "test-flaky");
        Assert.Equal(1, info.FailedCalls);
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
    }

    [Fact]
    public void Objects_of_a_module_keep_it_loaded_until_they_are_gone()
    {
        using SupClient client = Daemon.Connect();
        ModuleOpenReply open = client.OpenModule("sample-registry");
        client.LoadModule(open.Handle);
        SupReply created = client.CallModule(client.GetSymbol(open.Handle, "CreateCounter"), 0, 0, [], 8);
        ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(created.Payload);
        SupReply incremented = client.CallModule(client.GetSymbol(open.Handle, "Increment"), 0, counter, [], 8);
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(incremented.Payload));

        // The module's own type and factory are visible to everyone.
        Assert.Contains(client.ListObjects(), o => o.Type == "sample-counter" && o.Handle == $"0x{counter:x16}");
        Assert.Contains(client.ListFactories(), f => f.Name == "sample-registry" && f.Owner == "module sample-registry");
        SupReply live = client.CallService("sample-registry", 1, 0, [], 8);
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(live.Payload));

        // The last module reference goes, but the session still holds the module's object.
        Assert.Equal(SupStatus.Success, client.FreeModule(open.Handle));
        ModuleInfo held = Assert.Single(client.ListModules(), m => m.Name == "sample-registry");
        Assert.Equal("1 objects of the module are alive", held.HeldBy);
        Assert.Equal(0, held.TermCalls);

        Assert.Equal(SupStatus.ObjectDestroyed, client.Release(counter));
        Poll.Until(() => client.ListModules().All(m => m.Name != "sample-registry" || m.State is "unloading"), "the module to unload after its last object");
        Assert.DoesNotContain(client.ListFactories(), f => f.Name == "sample-registry");
    }

    [Fact]
    public void Service_requests_reach_only_modules_this_session_opened()
    {
        using SupClient client = Daemon.Connect();
        SupException none = Assert.Throws<SupException>(() => client.CallService("sample-echo", 1, 0, [], 8));
        Assert.Equal(SupStatus.ServiceNotFound, none.Status);
        Assert.Contains("has not opened a module named 'sample-echo'", none.Message, StringComparison.Ordinal);

        ModuleOpenReply echo = client.OpenModule("sample-echo");
        client.LoadModule(echo.Handle);
        Assert.Contains("does not handle service requests", Assert.Throws<SupException>(() => client.CallService("sample-echo", 1, 0, [], 8)).Message, StringComparison.Ordinal);
        client.FreeModule(echo.Handle);
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
