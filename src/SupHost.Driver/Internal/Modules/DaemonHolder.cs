using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>The daemon itself as a holder: it holds the pins that keep modules loaded past a session.</summary>
internal sealed class DaemonHolder : IObjectHolder
{
    public static readonly DaemonHolder Instance = new();

    private DaemonHolder()
    {
    }

    public uint HolderId => 0;

    public uint UserId => Libc.EffectiveUserId;

    public IReadOnlyList<uint> GroupIds { get; } = [Libc.EffectiveGroupId];

    public HashSet<SupObject> HeldObjects { get; } = [];
}
