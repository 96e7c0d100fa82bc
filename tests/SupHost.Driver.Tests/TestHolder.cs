namespace SupHost.Driver.Tests;

internal sealed class TestHolder(uint id, uint uid, params uint[] groups) : IObjectHolder
{
    public uint HolderId { get; } = id;

    public uint UserId { get; } = uid;

    public IReadOnlyList<uint> GroupIds { get; } = groups.Length == 0 ? [uid] : groups;

    public HashSet<SupObject> HeldObjects { get; } = [];
}
