using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class FactoryTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private static readonly Guid s_trunk = Guid.Parse("de504d93-1d1e-4781-8b73-6ea39a0e36a2");

    [Fact]
    public void A_factory_is_found_by_name_and_interface_with_distinct_failures()
    {
        using SupClient owner = fixture.Daemon.Connect();
        using SupClient other = fixture.Daemon.Connect();
        ulong id = owner.RegisterFactory("trunk-a", [s_trunk, Guid.NewGuid()]);

        FactoryQueryReply hit = other.QueryFactory("trunk-a", s_trunk);
        Assert.Equal(id, hit.FactoryId);
        Assert.Equal(owner.SessionId, hit.OwnerSessionId);

        SupException noName = Assert.Throws<SupException>(() => other.QueryFactory("trunk-z", s_trunk));
        Assert.Equal(SupStatus.ComponentNotFound, noName.Status);
        SupException noInterface = Assert.Throws<SupException>(() => other.QueryFactory("trunk-a", Guid.NewGuid()));
        Assert.Equal(SupStatus.InterfaceNotSupported, noInterface.Status);

        FactoryInfo listed = Assert.Single(other.ListFactories(), f => f.Id == id);
        Assert.Equal($"session {owner.SessionId}", listed.Owner);
        Assert.Contains(s_trunk.ToString("D"), listed.Interfaces);

        // Only the owner deregisters.
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => other.DeregisterFactory(id)).Status);
        owner.DeregisterFactory(id);
        Assert.Equal(SupStatus.ComponentNotFound, Assert.Throws<SupException>(() => other.QueryFactory("trunk-a", s_trunk)).Status);
    }

    [Fact]
    public void An_owner_that_disconnects_takes_its_factories_along()
    {
        using SupClient observer = fixture.Daemon.Connect();
        using (SupClient owner = fixture.Daemon.Connect())
        {
            owner.RegisterFactory("trunk-b", [s_trunk]);
            owner.RegisterFactory("trunk-b", [s_trunk]);
            Assert.Equal(2, observer.ListFactories().Count(f => f.Name == "trunk-b"));
        }

        // The session ends on the daemon's side after the close; wait for it, bounded.
        Poll.Until(() => observer.ListFactories().All(f => f.Name != "trunk-b"), "the closed session's factories to go");
    }

    [Fact]
    public void Registration_input_is_validated()
    {
        using SupClient owner = fixture.Daemon.Connect();
        Guid id = Guid.NewGuid();
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => owner.RegisterFactory("dup", [id, id])).Status);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => owner.RegisterFactory("none", [])).Status);
        Assert.Throws<ArgumentException>(() => owner.RegisterFactory(new string('f', 70), [id]));
    }
}
