using SupHost.Abi;
using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>A module's own identity: the holder of objects it keeps for itself, with the daemon's credentials.</summary>
internal sealed class ModuleIdentity(string moduleName) : ISessionIdentity, IObjectHolder
{
    private volatile bool _ended;

    public string ModuleName { get; } = moduleName;

    public uint Id => 0;

    public int ProcessId => Environment.ProcessId;

    public uint UserId => Libc.EffectiveUserId;

    public uint GroupId => Libc.EffectiveGroupId;

    public bool IsRestricted => false;

    public uint HolderId => 0;

    public IReadOnlyList<uint> GroupIds { get; } = [Libc.EffectiveGroupId];

    public HashSet<SupObject> HeldObjects { get; } = [];

    /// <summary>Set when the module unloads, before its own objects are released: a thread it left behind registers nothing more.</summary>
    public bool HasEnded => _ended;

    public void MarkEnded() => _ended = true;
}
