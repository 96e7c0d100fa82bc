using SupHost.Abi;
using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>A module's own identity: the holder of objects it keeps for itself, with the daemon's credentials.</summary>
internal sealed class ModuleIdentity(string moduleName) : ISessionIdentity, IObjectHolder
{
    public string ModuleName { get; } = moduleName;

    public uint Id => 0;

    public int ProcessId => Environment.ProcessId;

    public uint UserId => Libc.EffectiveUserId;

    public uint GroupId => Libc.EffectiveGroupId;

    public bool IsRestricted => false;

    public uint HolderId => 0;

    public IReadOnlyList<uint> GroupIds { get; } = [Libc.EffectiveGroupId];

    public HashSet<SupObject> HeldObjects { get; } = [];
}
