using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class RestrictedSessionTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void A_restricted_session_gets_only_the_safe_functions()
    {
        using SupClient client = fixture.Daemon.Connect(SupEndpoint.Restricted);
        Assert.True(client.IsRestricted);
        client.Nop();
        Assert.True(client.QueryStatus().Sessions >= 1);

        var refused = new Action[]
        {
            () => client.ListSessions(),
            () => client.ListObjects(),
            () => client.ListFactories(),
            () => client.RegisterObject(ObjectTypeId.Vm, "restricted-vm"),
            () => client.OpenObject(ObjectTypeId.Vm, "restricted-vm"),
            () => client.Release(0x0001_0001_0000_0001),
            () => client.RegisterFactory("restricted-factory", [Guid.NewGuid()]),
            () => client.QueryFactory("restricted-factory", Guid.NewGuid()),
            () => client.OpenModule("sample-echo"),
            () => client.ListModules(),
            () => client.LockDownModules(),
            () => client.AllocatePages(1),
            () => client.ListMemory(),
            () => client.CreateEvent(),
        };
        foreach (Action call in refused)
        {
            SupException ex = Assert.Throws<SupException>(call);
            Assert.Equal(SupStatus.RestrictedSession, ex.Status);
            Assert.Contains("is not available on a restricted session (supdu.sock)", ex.Message, StringComparison.Ordinal);
        }

        // Refusals leave the session working.
        client.Nop();
    }

    [Fact]
    public void The_sessions_listing_names_the_endpoint_and_the_peer()
    {
        using SupClient restricted = fixture.Daemon.Connect(SupEndpoint.Restricted);
        using SupClient full = fixture.Daemon.Connect();
        IReadOnlyList<SessionInfo> sessions = full.ListSessions();
        SessionInfo r = Assert.Single(sessions, s => s.Id == restricted.SessionId);
        SessionInfo f = Assert.Single(sessions, s => s.Id == full.SessionId);
        Assert.Equal("restricted", r.Endpoint);
        Assert.Equal("full", f.Endpoint);
        Assert.Equal(Environment.ProcessId, r.Pid);
        Assert.Equal(0u, f.Uid);
    }
}
