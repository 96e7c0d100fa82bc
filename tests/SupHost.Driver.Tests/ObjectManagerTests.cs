using SupHost.Protocol;

namespace SupHost.Driver.Tests;

public class ObjectManagerTests
{
    private readonly ObjectManager _objects = new(maxObjectsPerHolder: 8);
    private readonly ObjectType _vm;

    public ObjectManagerTests() => _vm = _objects.FindType((uint)ObjectTypeId.Vm)!;

    [Fact]
    public void The_destructor_runs_once_when_the_last_reference_of_the_last_holder_goes()
    {
        var a = new TestHolder(1, 1000);
        var b = new TestHolder(2, 1000);
        int runs = 0;
        Assert.Equal(SupStatus.Success, _objects.Register(a, _vm, "shared", 0x180, false, _ => runs++, null, out SupObject? obj));
        Assert.Equal(SupStatus.Success, _objects.Open(b, _vm.Id, "shared", out _));
        Assert.Equal(SupStatus.Success, _objects.AddRef(b, obj!.Handle));
        Assert.Equal(3, obj.References);

        Assert.Equal(SupStatus.Success, _objects.Release(a, obj.Handle));
        Assert.Equal(SupStatus.InvalidHandle, _objects.Release(a, obj.Handle));
        Assert.Equal(SupStatus.Success, _objects.Release(b, obj.Handle));
        Assert.Equal(0, runs);
        Assert.Equal(SupStatus.ObjectDestroyed, _objects.Release(b, obj.Handle));
        Assert.Equal(1, runs);
        Assert.True(obj.IsDead);
        Assert.Equal(SupStatus.InvalidHandle, _objects.Release(b, obj.Handle));
        Assert.Equal(SupStatus.NotFound, _objects.Open(a, _vm.Id, "shared", out _));
        Assert.Equal(1, runs);
        Assert.Equal(_objects.Created, _objects.Destroyed);
    }

    [Fact]
    public void A_dying_holder_drops_all_its_references_and_only_orphans_are_destroyed()
    {
        var a = new TestHolder(1, 1000);
        var b = new TestHolder(2, 1000);
        var destroyed = new List<string>();
        _objects.Register(a, _vm, "mine", 0x180, false, o => destroyed.Add(o.Name!), null, out SupObject? mine);
        _objects.Register(a, _vm, "ours", 0x180, false, o => destroyed.Add(o.Name!), null, out SupObject? ours);
        _objects.AddRef(a, mine!.Handle);
        _objects.Open(b, _vm.Id, "ours", out _);

        Assert.Equal(1, _objects.ReleaseAll(a));
        Assert.Equal(["mine"], destroyed);
        Assert.Empty(a.HeldObjects);
        Assert.Equal(1, ours!.References);
        Assert.Equal(1, _objects.ReleaseAll(b));
        Assert.Equal(["mine", "ours"], destroyed);
        Assert.Equal(0, _objects.Count);
    }

    [Fact]
    public void A_throwing_destructor_is_reported_and_does_not_stop_the_others()
    {
        var a = new TestHolder(1, 1000);
        var failures = new List<Exception>();
        int ran = 0;
        _objects.DestructorFailed = (_, ex) => failures.Add(ex);
        _objects.Register(a, _vm, "bad", 0x180, false, _ => throw new InvalidOperationException("boom"), null, out _);
        _objects.Register(a, _vm, "good", 0x180, false, _ => ran++, null, out _);

        Assert.Equal(2, _objects.ReleaseAll(a));
        Assert.Equal(1, ran);
        Assert.Equal("boom", Assert.Single(failures).Message);
    }

    [Theory]
    [InlineData(0x180u, false, 2000u, 2000u, false)] // 0600, another user
    [InlineData(0x180u, false, 1000u, 1000u, true)]  // 0600, the owner
    [InlineData(0x1a0u, false, 2000u, 1000u, true)]  // 0640, a member of the owner's group
    [InlineData(0x1a0u, false, 2000u, 2000u, false)] // 0640, not a member
    [InlineData(0x184u, false, 2000u, 2000u, true)]  // 0604, anyone
    [InlineData(0x180u, true, 2000u, 2000u, true)]   // public
    public void Access_follows_owner_group_mode_and_public(uint mode, bool isPublic, uint uid, uint group, bool allowed)
    {
        var owner = new TestHolder(1, 1000, 1000);
        var other = new TestHolder(2, uid, 3000, group);
        _objects.Register(owner, _vm, "guarded", mode, isPublic, null, null, out SupObject? obj);

        Assert.Equal(allowed, ObjectManager.CheckAccess(obj!, other));
        Assert.Equal(allowed ? SupStatus.Success : SupStatus.PermissionDenied, _objects.Open(other, _vm.Id, "guarded", out _));
    }

    [Fact]
    public void Handles_carry_the_type_and_never_resolve_for_a_holder_without_a_reference()
    {
        var a = new TestHolder(1, 1000);
        var b = new TestHolder(2, 1000);
        _objects.Register(a, _vm, null, 0x180, false, null, null, out SupObject? obj);
        Assert.Equal((ulong)ObjectTypeId.Vm, obj!.Handle >> 48);
        Assert.Same(obj, _objects.Resolve(a, obj.Handle));
        Assert.Null(_objects.Resolve(b, obj.Handle));
        Assert.Equal(SupStatus.InvalidHandle, _objects.AddRef(b, obj.Handle));
        Assert.Equal(SupStatus.InvalidHandle, _objects.AddRef(a, obj.Handle ^ 1));
    }

    [Fact]
    public void Names_are_unique_per_type_and_the_holder_limit_holds()
    {
        var a = new TestHolder(1, 1000);
        Assert.Equal(SupStatus.Success, _objects.Register(a, _vm, "n", 0x180, false, null, null, out _));
        Assert.Equal(SupStatus.AlreadyExists, _objects.Register(a, _vm, "n", 0x180, false, null, null, out _));
        for (int i = 1; i < 8; i++)
        {
            Assert.Equal(SupStatus.Success, _objects.Register(a, _vm, null, 0x180, false, null, null, out _));
        }

        Assert.Equal(SupStatus.LimitReached, _objects.Register(a, _vm, null, 0x180, false, null, null, out _));
    }

    [Fact]
    public void Module_types_can_be_added_once()
    {
        var type = new ObjectType((uint)ObjectTypeId.FirstModuleType, "sample", ClientCreatable: false);
        Assert.Equal(SupStatus.Success, _objects.AddType(type));
        Assert.Equal(SupStatus.AlreadyExists, _objects.AddType(type with { Name = "other" }));
        Assert.Equal(SupStatus.AlreadyExists, _objects.AddType(type with { Id = type.Id + 1 }));
        var unknown = new ObjectType(0x2000, "unregistered", false);
        Assert.Equal(SupStatus.InvalidObjectType, _objects.Register(new TestHolder(1, 0), unknown, null, 0, false, null, null, out _));
    }
}
