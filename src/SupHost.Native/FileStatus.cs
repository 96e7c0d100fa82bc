namespace SupHost.Native;

/// <summary>What stat(2) says about a file: its type and permission bits, owner and group.</summary>
/// <param name="Mode">st_mode: file type (S_IFMT) and permission bits.</param>
/// <param name="UserId">st_uid.</param>
/// <param name="GroupId">st_gid.</param>
public readonly record struct FileStatus(uint Mode, uint UserId, uint GroupId)
{
    /// <summary>The permission bits (07777).</summary>
    public uint Permissions => Mode & 0xfff;

    /// <summary>Writable by the group (S_IWGRP).</summary>
    public bool GroupWritable => (Mode & 0x10) != 0;

    /// <summary>Writable by others (S_IWOTH).</summary>
    public bool OtherWritable => (Mode & 0x2) != 0;
}
