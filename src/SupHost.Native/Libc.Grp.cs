using System.Runtime.InteropServices;

namespace SupHost.Native;

// grp.h: getgrnam_r(3), so group look-ups go through NSS like every other tool on the host.
public static partial class Libc
{
    [StructLayout(LayoutKind.Sequential)]
    private struct group
    {
        public nint gr_name;
        public nint gr_passwd;
        public uint gr_gid;
        public nint gr_mem;
    }

    [LibraryImport(LibraryName, EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int getgrnam_r(string name, group* grp, byte* buf, nuint buflen, group** result);

    /// <summary>The id of group <paramref name="name"/>, or null when there is no such group.</summary>
    public static unsafe uint? GetGroupId(string name)
    {
        // ERANGE (34) asks for a larger buffer; large groups list many members.
        for (int size = 4096; size <= 1 << 22; size *= 4)
        {
            byte[] buffer = new byte[size];
            group grp;
            group* result;
            int rc;
            fixed (byte* p = buffer)
            {
                rc = getgrnam_r(name, &grp, p, (nuint)size, &result);
            }

            if (rc == 34)
            {
                continue;
            }

            if (rc != 0)
            {
                throw new NativeException("getgrnam_r", (Errno)rc, name);
            }

            return result == null ? null : grp.gr_gid;
        }

        throw new NativeException("getgrnam_r", Errno.ENOMEM, name);
    }
}
