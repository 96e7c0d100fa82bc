using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Issue 9, defect 12 and the module status range: what modules find and register, and whose status a reply carries.</summary>
public sealed class ModuleGuardTests : IDisposable
{
    private static readonly Guid s_trunk = Guid.Parse("8b4f0c51-3c2e-4d0a-9a53-0d6f2b7e1a11");
    private readonly Daemon _daemon = Daemon.Start();

    [Fact]
    public void A_client_factory_registered_first_does_not_shadow_a_modules_for_module_queries()
    {
        using SupClient client = _daemon.Connect();
        ulong shadow = client.RegisterFactory("test-trunk", [s_trunk]);
        ModuleOpenReply open = client.OpenModule("test-guard");
        client.LoadModule(open.Handle);
        ulong query = client.GetSymbol(open.Handle, "QueryTrunk");

        // No module factory yet: a module finds none, unless it asks for clients' too.
        Assert.Equal(SupStatus.Success, client.CallModule(query, 0, 0));
        Assert.Equal((SupStatus)2, client.CallModule(query, 1, 0));

        client.CallModule(client.GetSymbol(open.Handle, "RegisterTrunk"), 0, 0);
        Assert.Equal((SupStatus)1, client.CallModule(query, 0, 0));

        // Registration order still decides for those that ask for every factory, and for clients.
        Assert.Equal((SupStatus)2, client.CallModule(query, 1, 0));
        Assert.Equal(shadow, client.QueryFactory("test-trunk", s_trunk).FactoryId);

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
        client.DeregisterFactory(shadow);
        Assert.DoesNotContain(client.ListFactories(), f => !Daemon.IsStartModuleFactory(f));
    }

    [Fact]
    public void An_ended_session_takes_no_new_objects_and_nothing_leaks()
    {
        using SupClient keeper = _daemon.Connect();
        int fds = _daemon.FdCount();
        ModuleOpenReply open = keeper.OpenModule("test-guard");
        keeper.LoadModule(open.Handle);
        int baseline = keeper.ListObjects().Count;

        uint endedId;
        using (SupClient leaving = _daemon.Connect())
        {
            endedId = leaving.SessionId;
            ModuleOpenReply theirs = leaving.OpenModule("test-guard");
            leaving.CallModule(leaving.GetSymbol(theirs.Handle, "Remember"), 0, 0);
        }

        Poll.Until(() => keeper.ListSessions().All(s => s.Id != endedId), "the leaving session to end");
        SupException refused = Assert.Throws<SupException>(() => keeper.CallModule(keeper.GetSymbol(open.Handle, "RegisterForRemembered"), 0, 0));
        Assert.Equal(SupStatus.ModuleCallFailed, refused.Status);
        Assert.Contains($"registering a test-guard-thing object for session {endedId} failed: it has ended (SessionEnded)", refused.Message, StringComparison.Ordinal);

        Assert.Equal(baseline, keeper.ListObjects().Count);
        Assert.DoesNotContain(keeper.ListObjects(), o => o.Usages.Any(u => u.SessionId == endedId));
        using (SupClient fresh = _daemon.Connect())
        {
            fresh.Nop();
        }

        Assert.Equal(SupStatus.ModuleUnloaded, keeper.FreeModule(open.Handle));
        Poll.Until(() => keeper.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "the module to be unloaded and collected");
        Assert.Empty(keeper.ListObjects());
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
    }

    [Fact]
    public void A_modules_status_is_told_apart_from_the_daemons_with_the_same_number()
    {
        using SupClient client = _daemon.Connect();
        ModuleOpenReply open = client.OpenModule("test-guard");
        client.LoadModule(open.Handle);

        SupException fromModule = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(open.Handle, "FailWith"), 14, 0));
        Assert.Equal(SupStatus.InvalidHandle, fromModule.Status);
        Assert.True(fromModule.IsModuleStatus);
        Assert.Equal("test-guard.FailWith returned status -14", fromModule.Message);

        // A module's own words go with its status (ModuleCall.Fail), cut to the protocol's 1024-byte message.
        SupException worded = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(open.Handle, "FailWith"), 58, 1));
        Assert.Equal((SupStatus)(-58), worded.Status);
        Assert.True(worded.IsModuleStatus);
        Assert.Equal("test-guard.FailWith: failed on purpose with 58", worded.Message);
        SupException tooLong = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(open.Handle, "FailWith"), 3, 2));
        Assert.Equal("test-guard.FailWith: " + new string('x', ProtocolConstants.MaxMessageSize - "test-guard.FailWith: ".Length), tooLong.Message);

        SupException fromDaemon = Assert.Throws<SupException>(() => client.CallModule(0x1234, 0, 0));
        Assert.Equal(SupStatus.InvalidHandle, fromDaemon.Status);
        Assert.False(fromDaemon.IsModuleStatus);

        SupReply ok = client.CallModule(client.GetSymbol(open.Handle, "FailWith"), 0, 0, [], 0);
        Assert.True(ok.IsModuleStatus);
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
    }

    public void Dispose() => _daemon.Dispose();
}
