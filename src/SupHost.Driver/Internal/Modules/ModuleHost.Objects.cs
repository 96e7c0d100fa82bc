using SupHost.Abi;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules;

// The object manager as the module sees it: holders are sessions (the calling session) or the
// module's own identity; every object it registers is counted against the module, which stays
// loaded while any of them lives.
internal sealed partial class ModuleHost
{
    uint IModuleObjects.RegisterType(string name, bool clientCreatable)
    {
        uint id = _objects.NextModuleTypeId();
        if (_objects.AddType(new ObjectType(id, name, clientCreatable)) != SupStatus.Success)
        {
            throw new InvalidOperationException($"an object type named '{name}' exists already");
        }

        lock (_lock)
        {
            _types.Add(id);
        }

        return id;
    }

    ulong IModuleObjects.Register(ISessionIdentity owner, uint typeId, string? name, uint mode, bool isPublic, Action<object?>? destructor, object? payload)
    {
        IObjectHolder holder = Holder(owner);
        ObjectType type = _objects.FindType(typeId) ?? throw new ArgumentException($"object type {typeId} is unknown", nameof(typeId));
        SupStatus status = _objects.Register(holder, type, name, mode, isPublic, obj => Destroyed(obj, destructor), payload, out SupObject? obj);
        if (status != SupStatus.Success)
        {
            throw new InvalidOperationException(status == SupStatus.SessionEnded
                ? $"registering a {type.Name} object for {Describe(holder)} failed: it has ended ({status}), so it can hold no new objects"
                : $"registering a {type.Name} object for {Describe(holder)} failed: {status}");
        }

        _loader.ObjectRegistered(_module, obj!);
        return obj!.Handle;
    }

    int IModuleObjects.AddReference(ISessionIdentity holder, ulong handle) => (int)_objects.AddRef(Holder(holder), handle);

    int IModuleObjects.Share(ISessionIdentity holder, ulong handle) => (int)_objects.Share(Holder(holder), handle);

    int IModuleObjects.Release(ISessionIdentity holder, ulong handle) => (int)_objects.Release(Holder(holder), handle);

    object? IModuleObjects.GetPayload(ISessionIdentity holder, ulong handle) => _objects.Resolve(Holder(holder), handle)?.Payload;

    bool IModuleObjects.VerifyAccess(ISessionIdentity session, ulong handle)
    {
        IObjectHolder holder = Holder(session);
        SupObject? obj = _objects.Resolve(holder, handle) ?? _objects.Resolve(_module.Identity, handle);
        return obj is not null && ObjectManager.CheckAccess(obj, holder);
    }

    private void Destroyed(SupObject obj, Action<object?>? destructor)
    {
        try
        {
            destructor?.Invoke(obj.Payload);
        }
        finally
        {
            _loader.ObjectDestroyed(_module, obj);
        }
    }

    private static string Describe(IObjectHolder holder) => holder is ModuleIdentity module ? $"module {module.ModuleName}" : $"session {holder.HolderId}";

    private static IObjectHolder Holder(ISessionIdentity identity) => identity as IObjectHolder
        ?? throw new ArgumentException("the identity is neither a session of this daemon nor the module's own", nameof(identity));
}
