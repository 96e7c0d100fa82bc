using SupHost.Abi;
using SupHost.Protocol;

namespace SupHost.Driver.Tests;

public class ComponentRegistryTests
{
    private static readonly Guid s_trunk = Guid.Parse("de504d93-1d1e-4781-8b73-6ea39a0e36a2");
    private static readonly Guid s_other = Guid.Parse("449a2799-7564-464d-b4b2-7a877418fd0c");

    private readonly ComponentRegistry _registry = new();
    private readonly FactoryOwner _session = new("session 1", 1);
    private readonly FactoryOwner _module = new("module netflt", 0);

    [Fact]
    public void Queries_distinguish_no_name_from_no_interface()
    {
        _registry.Register(new ClientFactory("VBoxNetFlt", [s_trunk]), _module, out _);
        Assert.Equal(SupStatus.Success, _registry.Query("VBoxNetFlt", s_trunk, out _, out object? impl));
        Assert.NotNull(impl);
        Assert.Equal(SupStatus.InterfaceNotSupported, _registry.Query("VBoxNetFlt", s_other, out _, out _));
        Assert.Equal(SupStatus.ComponentNotFound, _registry.Query("VBoxNetAdp", s_trunk, out _, out _));
    }

    [Fact]
    public void Factories_of_one_name_are_tried_in_registration_order()
    {
        var first = new ClientFactory("shared", [s_other]);
        var second = new ClientFactory("shared", [s_trunk]);
        var third = new ClientFactory("shared", [s_trunk]);
        _registry.Register(first, _session, out _);
        _registry.Register(second, _session, out _);
        _registry.Register(third, _module, out _);

        Assert.Equal(SupStatus.Success, _registry.Query("shared", s_trunk, out FactoryRegistration? hit, out _));
        Assert.Same(second, hit!.Factory);
    }

    [Fact]
    public void The_same_instance_twice_is_refused_and_owners_deregister_only_their_own()
    {
        var factory = new ClientFactory("x", [s_trunk]);
        Assert.Equal(SupStatus.Success, _registry.Register(factory, _session, out FactoryRegistration? reg));
        Assert.Equal(SupStatus.AlreadyExists, _registry.Register(factory, _module, out _));
        Assert.Equal(SupStatus.InvalidHandle, _registry.Deregister(reg!.Id, _module));
        Assert.Equal(SupStatus.Success, _registry.Deregister(reg.Id, _session));
        Assert.Equal(SupStatus.InvalidHandle, _registry.Deregister(reg.Id, _session));
    }

    [Fact]
    public void An_owner_going_takes_its_entries_with_it()
    {
        _registry.Register(new ClientFactory("a", [s_trunk]), _session, out _);
        _registry.Register(new ClientFactory("b", [s_trunk]), _session, out _);
        _registry.Register(new ClientFactory("c", [s_trunk]), _module, out _);
        Assert.Equal(2, _registry.RemoveOwnedBy(_session));
        Assert.Equal(["c"], _registry.Snapshot().Select(f => f.Name));
    }

    [Fact]
    public void Bad_names_are_refused()
    {
        Assert.Equal(SupStatus.InvalidName, _registry.Register(new NamedFactory(new string('n', 64)), _module, out _));
        Assert.Equal(SupStatus.InvalidName, _registry.Register(new NamedFactory(string.Empty), _module, out _));
    }

    private sealed class NamedFactory(string name) : IComponentFactory
    {
        public string Name { get; } = name;

        public object? QueryInterface(Guid interfaceId) => null;
    }
}
