using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// Opens module files only through paths nobody but root (or the daemon's user) could have
/// changed, as SUPR3HardenedVerifyPlugIn and supR3HardenedVerifyFsObject do for VirtualBox's
/// hardened builds, and hands back what it checked, so there is no window between check and load.
/// </summary>
/// <remarks>
/// <para>
/// The walk starts at / and opens each component with openat(2) and O_NOFOLLOW relative to the
/// descriptor of the one before, checking each by fstat(2) of the descriptor it opened (so a
/// rename or a swapped symbolic link after the check changes nothing: the next step goes through
/// the checked descriptor, not the name). The rules, for every component:
/// </para>
/// <list type="bullet">
/// <item>no symbolic link anywhere (O_NOFOLLOW fails; configure the real path);</item>
/// <item>owned by root, or by the daemon's own user when it does not run as root;</item>
/// <item>not writable by group or others, with one exception: a directory above the configured
/// module directory that is sticky (S_ISVTX) and owned by root, such as /tmp, may be writable by
/// all, since there only an entry's owner may rename or remove it, and the entry below is itself
/// checked to be root's (or the daemon's). The configured module directory, the module's own
/// directory and its files get no such exception: a sticky, world-writable module directory would
/// let anyone create a module name that does not exist yet.</item>
/// <item>the file itself is a regular file of at most <see cref="MaxFileBytes"/> bytes, read whole
/// from the descriptor that was checked.</item>
/// </list>
/// </remarks>
internal static class ModuleTrust
{
    /// <summary>The largest module or dependency file read (a hostile file must not make the daemon read without end).</summary>
    public const int MaxFileBytes = 64 << 20;

    /// <summary>
    /// Checks every directory from / down to <paramref name="file"/> and the file, then reads it
    /// from the descriptor it checked. <paramref name="trustedFrom"/> is the configured module
    /// directory: directories above it may be root's sticky ones. Returns why not, or null.
    /// </summary>
    public static string? ReadVerified(string trustedFrom, string file, out byte[]? bytes)
    {
        bytes = null;
        using SafeFd? fd = OpenVerified(trustedFrom, file, out string? message);
        if (fd is null)
        {
            return message;
        }

        try
        {
            bytes = Libc.ReadExactly(fd, (int)Libc.GetFileStatus(fd).Size);
            return null;
        }
        catch (NativeException ex)
        {
            return $"refusing {file}: {ex.Message}";
        }
    }

    /// <summary>As <see cref="ReadVerified"/>, but returns the checked descriptor itself (for a native library, loaded through /proc/self/fd).</summary>
    public static SafeFd? OpenVerified(string trustedFrom, string file, out string? message)
    {
        message = null;
        if (!Path.IsPathFullyQualified(file) || !Path.IsPathFullyQualified(trustedFrom))
        {
            message = $"refusing {file}: module paths must be absolute";
            return null;
        }

        string[] parts = file.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string[] trustedParts = trustedFrom.Split('/', StringSplitOptions.RemoveEmptyEntries);

        // The sticky exception holds only above the module directory; a file outside it (a
        // dependency a deps.json points elsewhere) gets none.
        int trustedDepth = parts.Length > trustedParts.Length && parts.AsSpan(0, trustedParts.Length).SequenceEqual(trustedParts) ? trustedParts.Length : 0;
        if (parts.Contains("..") || parts.Contains("."))
        {
            message = $"refusing {file}: the path must not contain '.' or '..'";
            return null;
        }

        uint self = Libc.EffectiveUserId;
        SafeFd? current = null;
        string path = "/";
        try
        {
            for (int i = 0; i <= parts.Length; i++)
            {
                bool isDirectory = i < parts.Length;
                path = i == 0 ? "/" : "/" + string.Join('/', parts, 0, i);
                SafeFd next;
                try
                {
                    next = i == 0 ? Libc.OpenNoFollow(null, "/", isDirectory: true) : Libc.OpenNoFollow(current, parts[i - 1], isDirectory);
                }
                catch (NativeException ex) when (ex.Errno is Errno.ELOOP or Errno.ENOTDIR)
                {
                    message = $"refusing {path}: it is a symbolic link (or not a directory), and module paths must not contain links";
                    return null;
                }
                catch (NativeException ex)
                {
                    message = $"refusing {path}: {ex.Message}";
                    return null;
                }

                current?.Dispose();
                current = next;
                FileStatus status = Libc.GetFileStatus(current);

                // Directories strictly above the configured module directory (depth < trustedDepth)
                // may be root's sticky ones; the module directory and everything in it may not.
                bool aboveTrusted = i < trustedDepth;
                message = Check(path, status, self, allowSticky: aboveTrusted && isDirectory, expectDirectory: isDirectory);
                if (message is not null)
                {
                    return null;
                }

                if (!isDirectory)
                {
                    SafeFd opened = current;
                    current = null;
                    return opened;
                }
            }

            return null;
        }
        catch (NativeException ex)
        {
            message = $"refusing {path}: {ex.Message}";
            return null;
        }
        finally
        {
            current?.Dispose();
        }
    }

    private static string? Check(string path, FileStatus status, uint self, bool allowSticky, bool expectDirectory)
    {
        string mode = "0" + Convert.ToString(status.Permissions, 8);
        if (status.IsSymbolicLink)
        {
            return $"refusing {path}: it is a symbolic link, and module paths must not contain links";
        }

        if (expectDirectory ? !status.IsDirectory : !status.IsRegularFile)
        {
            return $"refusing {path}: it is not a {(expectDirectory ? "directory" : "regular file")}";
        }

        if (status.UserId != 0 && status.UserId != self)
        {
            return self == 0
                ? $"refusing {path}: it is owned by uid {status.UserId}, not root"
                : $"refusing {path}: it is owned by uid {status.UserId}, neither root nor the daemon's uid {self}";
        }

        // A sticky directory of root's (/tmp) may be writable by all: only an entry's owner can
        // replace the entry, and the entry is checked next.
        bool stickyException = allowSticky && status.Sticky && status.UserId == 0;
        if (status.OtherWritable && !stickyException)
        {
            return $"refusing {path}: it is writable by everyone (mode {mode})";
        }

        if (status.GroupWritable && !stickyException)
        {
            return $"refusing {path}: it is writable by its group {status.GroupId} (mode {mode})";
        }

        if (!expectDirectory && status.Size > MaxFileBytes)
        {
            return $"refusing {path}: its {status.Size} bytes exceed the limit {MaxFileBytes}";
        }

        return null;
    }
}
