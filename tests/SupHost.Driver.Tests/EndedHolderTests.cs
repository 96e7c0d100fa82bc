using SupHost.Protocol;

namespace SupHost.Driver.Tests;

/// <summary>A holder that has begun to end takes nothing new: the checks sit under the locks the clean-up takes.</summary>
public class EndedHolderTests
{
    [Fact]
    public void An_ended_holder_gets_no_new_object_and_opens_none()
    {
        var manager = new ObjectManager(maxObjectsPerHolder: 8);
        ObjectType vm = manager.FindType((uint)ObjectTypeId.Vm)!;
        var owner = new TestHolder(1, 1000);
        Assert.Equal(SupStatus.Success, manager.Register(owner, vm, "shared", 0x1ff, isPublic: true, null, null, out _));

        var ended = new EndedHolder(2, 1000);
        Assert.Equal(SupStatus.SessionEnded, manager.Register(ended, vm, null, 0x180, false, null, null, out SupObject? none));
        Assert.Null(none);
        Assert.Equal(SupStatus.SessionEnded, manager.Open(ended, (uint)ObjectTypeId.Vm, "shared", out _));
        Assert.Empty(ended.HeldObjects);
        Assert.Equal(1, manager.Count);
    }

    [Fact]
    public void An_ended_owner_registers_no_factory()
    {
        var registry = new ComponentRegistry();
        var owner = new FactoryOwner("session 2", 2, new EndedHolder(2, 1000));
        Assert.Equal(SupStatus.SessionEnded, registry.Register(new ClientFactory("trunk", [Guid.NewGuid()]), owner, out FactoryRegistration? registration));
        Assert.Null(registration);
        Assert.Equal(0, registry.Count);
    }

    private sealed class EndedHolder(uint id, uint uid) : IObjectHolder
    {
        public uint HolderId { get; } = id;

        public uint UserId { get; } = uid;

        public IReadOnlyList<uint> GroupIds { get; } = [uid];

        public HashSet<SupObject> HeldObjects { get; } = [];

        public bool HasEnded => true;
    }
}
