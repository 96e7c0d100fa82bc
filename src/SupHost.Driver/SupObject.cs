namespace SupHost.Driver;

/// <summary>
/// An object of the object manager (SUPDRVOBJ): typed, owned by its creator's uid and gid, guarded
/// by a mode, destroyed exactly once when its last reference goes. All mutable state is guarded by
/// the manager's lock.
/// </summary>
public sealed class SupObject
{
    internal SupObject(ulong handle, ObjectType type, string? name, uint ownerUid, uint ownerGid, uint mode, bool isPublic, Action<SupObject>? destructor, object? payload)
    {
        Handle = handle;
        Type = type;
        Name = name;
        OwnerUid = ownerUid;
        OwnerGid = ownerGid;
        Mode = mode;
        IsPublic = isPublic;
        Destructor = destructor;
        Payload = payload;
    }

    /// <summary>The handle (type, generation and random bits; see <see cref="ObjectManager"/>).</summary>
    public ulong Handle { get; }

    /// <summary>The object's type.</summary>
    public ObjectType Type { get; }

    /// <summary>The name it can be opened by, if any.</summary>
    public string? Name { get; }

    /// <summary>The creator's uid.</summary>
    public uint OwnerUid { get; }

    /// <summary>The creator's gid.</summary>
    public uint OwnerGid { get; }

    /// <summary>Permission bits: 0o070 lets the owner's group in, 0o007 anyone.</summary>
    public uint Mode { get; }

    /// <summary>Anyone may open it.</summary>
    public bool IsPublic { get; }

    /// <summary>What the registrant attached (a module's state, a memory block...).</summary>
    public object? Payload { get; }

    /// <summary>Total references across sessions.</summary>
    public int References { get; internal set; }

    /// <summary>Set once the last reference went; the handle no longer resolves.</summary>
    public bool IsDead { get; internal set; }

    internal Action<SupObject>? Destructor { get; set; }

    /// <summary>References per holder, guarded by the manager's lock.</summary>
    internal Dictionary<IObjectHolder, int> Usages { get; } = [];
}
