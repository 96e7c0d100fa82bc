using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// Refuses module paths others could have changed, as SUPR3HardenedVerifyPlugIn does: the module
/// directory, the module's own directory and its file must not be writable by group or others,
/// and must belong to root (or, for a daemon not running as root, to root or the daemon's user).
/// </summary>
internal static class ModuleTrust
{
    /// <summary>Why <paramref name="paths"/> may not be trusted, or null when all may.</summary>
    public static string? Check(params string[] paths)
    {
        uint self = Libc.EffectiveUserId;
        foreach (string path in paths)
        {
            FileStatus status;
            try
            {
                status = Libc.GetFileStatus(path);
            }
            catch (NativeException ex)
            {
                return $"refusing {path}: {ex.Message}";
            }

            string mode = "0" + Convert.ToString(status.Permissions, 8);
            if (status.OtherWritable)
            {
                return $"refusing {path}: it is writable by everyone (mode {mode})";
            }

            if (status.GroupWritable)
            {
                return $"refusing {path}: it is writable by its group {status.GroupId} (mode {mode})";
            }

            if (status.UserId != 0 && status.UserId != self)
            {
                return self == 0
                    ? $"refusing {path}: it is owned by uid {status.UserId}, not root"
                    : $"refusing {path}: it is owned by uid {status.UserId}, neither root nor the daemon's uid {self}";
            }
        }

        return null;
    }
}
