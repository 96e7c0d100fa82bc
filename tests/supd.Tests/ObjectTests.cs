using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class ObjectTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void Two_sessions_share_an_object_and_the_last_release_destroys_it()
    {
        using SupClient a = fixture.Daemon.Connect();
        using SupClient b = fixture.Daemon.Connect();
        ulong handle = a.RegisterObject(ObjectTypeId.Vm, "shared-vm", mode: 0x180);
        Assert.Equal(handle, b.OpenObject(ObjectTypeId.Vm, "shared-vm"));
        b.AddReference(handle);

        ObjectInfo info = Assert.Single(a.ListObjects(), o => o.Name == "shared-vm");
        Assert.Equal(3, info.References);
        Assert.Equal("vm", info.Type);
        Assert.Equal("0600", info.Mode);
        Assert.Equal([new ObjectUsageInfo(a.SessionId, 1), new ObjectUsageInfo(b.SessionId, 2)], info.Usages.OrderBy(u => u.SessionId));

        long destroyedBefore = a.QueryStatus().ObjectsDestroyed;
        Assert.Equal(SupStatus.Success, a.Release(handle));
        Assert.Equal(SupStatus.Success, b.Release(handle));
        Assert.Equal(SupStatus.ObjectDestroyed, b.Release(handle));
        Assert.Equal(destroyedBefore + 1, a.QueryStatus().ObjectsDestroyed);
        Assert.DoesNotContain(a.ListObjects(), o => o.Name == "shared-vm");

        // The dead handle is gone for everyone, and the name is free again.
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => a.Release(handle)).Status);
        Assert.Equal(SupStatus.NotFound, Assert.Throws<SupException>(() => b.OpenObject(ObjectTypeId.Vm, "shared-vm")).Status);
        ulong again = a.RegisterObject(ObjectTypeId.Vm, "shared-vm");
        Assert.NotEqual(handle, again);
        a.Release(again);
    }

    [Fact]
    public void A_session_cannot_use_a_handle_it_holds_no_reference_to()
    {
        using SupClient a = fixture.Daemon.Connect();
        using SupClient b = fixture.Daemon.Connect();
        ulong handle = a.RegisterObject(ObjectTypeId.Vm);
        SupException ex = Assert.Throws<SupException>(() => b.AddReference(handle));
        Assert.Equal(SupStatus.InvalidHandle, ex.Status);
        Assert.Contains($"0x{handle:x16} is not one this session holds", ex.Message, StringComparison.Ordinal);
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => b.Release(handle)).Status);
        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => a.Release(handle + 1)).Status);
        Assert.Equal(SupStatus.ObjectDestroyed, a.Release(handle));
    }

    [Fact]
    public void Registration_input_is_validated()
    {
        using SupClient a = fixture.Daemon.Connect();
        Assert.Equal(SupStatus.InvalidObjectType, Assert.Throws<SupException>(() => a.RegisterObject(ObjectTypeId.InternalNetwork)).Status);
        Assert.Equal(SupStatus.InvalidObjectType, Assert.Throws<SupException>(() => a.RegisterObject((ObjectTypeId)77)).Status);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => a.RegisterObject(ObjectTypeId.Vm, mode: 0x1000)).Status);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => a.RegisterObject(ObjectTypeId.Vm, flags: (ObjectFlags)0x80)).Status);

        ulong first = a.RegisterObject(ObjectTypeId.Vm, "unique-vm");
        SupException dup = Assert.Throws<SupException>(() => a.RegisterObject(ObjectTypeId.Vm, "unique-vm"));
        Assert.Equal(SupStatus.AlreadyExists, dup.Status);
        Assert.Contains("'unique-vm' exists already", dup.Message, StringComparison.Ordinal);
        a.Release(first);
    }

    [Fact]
    public async Task Async_calls_from_many_threads_on_one_client_are_serialised()
    {
        using SupClient a = await SupClient.ConnectAsync(new SupClientOptions { RunDirectory = fixture.Daemon.RunDir });
        ulong[] handles = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => a.RegisterObjectAsync(ObjectTypeId.Vm, $"async-{i}")));
        Assert.Equal(64, handles.Distinct().Count());
        SupStatus[] released = await Task.WhenAll(handles.Select(h => a.ReleaseAsync(h)));
        Assert.All(released, s => Assert.Equal(SupStatus.ObjectDestroyed, s));
    }
}
