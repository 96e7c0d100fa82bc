namespace SupHost.Native;

/// <summary>What stat(2) says about a file: its type and permission bits, owner and group.</summary>
/// <param name="Mode">st_mode: file type (S_IFMT) and permission bits.</param>
/// <param name="UserId">st_uid.</param>
/// <param name="GroupId">st_gid.</param>
/// <param name="Size">st_size in bytes.</param>
public readonly record struct FileStatus(uint Mode, uint UserId, uint GroupId, long Size = 0)
{
    private const uint S_IFMT = 0xf000;
    private const uint S_IFDIR = 0x4000;
    private const uint S_IFREG = 0x8000;
    private const uint S_IFLNK = 0xa000;

    /// <summary>S_IFSOCK: the file type of a socket.</summary>
    public const uint SocketType = 0xc000;

    /// <summary>S_IFCHR: the file type of a character device.</summary>
    public const uint CharacterDeviceType = 0x2000;

    /// <summary>The permission bits (07777).</summary>
    public uint Permissions => Mode & 0xfff;

    /// <summary>Writable by the group (S_IWGRP).</summary>
    public bool GroupWritable => (Mode & 0x10) != 0;

    /// <summary>Writable by others (S_IWOTH).</summary>
    public bool OtherWritable => (Mode & 0x2) != 0;

    /// <summary>The sticky bit (S_ISVTX): in a directory, only an entry's owner may rename or remove it.</summary>
    public bool Sticky => (Mode & 0x200) != 0;

    /// <summary>A directory (S_IFDIR).</summary>
    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;

    /// <summary>A regular file (S_IFREG).</summary>
    public bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;

    /// <summary>A symbolic link (S_IFLNK; an O_PATH|O_NOFOLLOW descriptor can refer to one).</summary>
    public bool IsSymbolicLink => (Mode & S_IFMT) == S_IFLNK;
}
