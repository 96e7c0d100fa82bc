using System.Runtime.InteropServices;
using System.Text;

namespace SupHost.Native;

// sys/ioctl.h, net/if.h: ioctl(2) and the netdevice(7) requests that read and set a link (index,
// flags, MTU, hardware address) through any socket of the link's network namespace.
public static partial class Libc
{
    /// <summary>IFNAMSIZ: an interface name's bytes, the terminating NUL included.</summary>
    public const int InterfaceNameSize = 16;

    private const uint SIOCGIFFLAGS = 0x8913;
    private const uint SIOCSIFFLAGS = 0x8914;
    private const uint SIOCSIFMTU = 0x8922;
    private const uint SIOCSIFHWADDR = 0x8924;
    private const uint SIOCGIFINDEX = 0x8933;
    private const short IFF_UP = 0x1;
    private const ushort ARPHRD_ETHER = 1;
    private const int AF_INET = 2;

    /// <summary>struct ifreq (40 bytes on x86-64): the name, then a 24-byte union read per request.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal unsafe struct ifreq
    {
        [FieldOffset(0)]
        public fixed byte ifr_name[InterfaceNameSize];

        // ifr_flags (short), ifr_mtu and ifr_ifindex (int) share the union's start.
        [FieldOffset(16)]
        public short ifr_flags;

        [FieldOffset(16)]
        public int ifr_ivalue;

        // ifr_hwaddr: a struct sockaddr, its family first, then the address in sa_data.
        [FieldOffset(16)]
        public ushort ifr_hwaddr_family;

        [FieldOffset(18)]
        public fixed byte ifr_hwaddr_data[14];
    }

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, void* argument);

    /// <summary>
    /// Whether <paramref name="name"/> is a name the kernel takes for an interface: 1 to 15 bytes,
    /// none of them '/', ':', NUL or white space, and not "." or ".." (net/core/dev.c's dev_valid_name).
    /// </summary>
    public static bool IsValidInterfaceName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || Encoding.UTF8.GetByteCount(name) >= InterfaceNameSize)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c is '/' or ':' or '\0' || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The index of the interface <paramref name="name"/> in the namespace of <paramref name="socket"/> (SIOCGIFINDEX); the errno on failure (ENODEV: no such interface).</summary>
    public static unsafe Errno TryGetInterfaceIndex(SafeFd socket, string name, out int index)
    {
        ifreq request = NewInterfaceRequest(name);
        Errno errno = InterfaceIoctl(socket, SIOCGIFINDEX, &request);
        index = errno == Errno.None ? request.ifr_ivalue : 0;
        return errno;
    }

    /// <summary>Sets or clears IFF_UP on <paramref name="name"/>, keeping its other flags (SIOCGIFFLAGS, then SIOCSIFFLAGS).</summary>
    public static unsafe Errno TrySetInterfaceUp(SafeFd socket, string name, bool up)
    {
        ifreq request = NewInterfaceRequest(name);
        Errno errno = InterfaceIoctl(socket, SIOCGIFFLAGS, &request);
        if (errno != Errno.None)
        {
            return errno;
        }

        request.ifr_flags = up ? (short)(request.ifr_flags | IFF_UP) : (short)(request.ifr_flags & ~IFF_UP);
        return InterfaceIoctl(socket, SIOCSIFFLAGS, &request);
    }

    /// <summary>Sets the MTU of <paramref name="name"/> (SIOCSIFMTU); EINVAL outside the device's range.</summary>
    public static unsafe Errno TrySetInterfaceMtu(SafeFd socket, string name, int mtu)
    {
        ifreq request = NewInterfaceRequest(name);
        request.ifr_ivalue = mtu;
        return InterfaceIoctl(socket, SIOCSIFMTU, &request);
    }

    /// <summary>Sets the Ethernet address of <paramref name="name"/> (SIOCSIFHWADDR); six bytes.</summary>
    public static unsafe Errno TrySetInterfaceMac(SafeFd socket, string name, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != 6)
        {
            return Errno.EINVAL;
        }

        ifreq request = NewInterfaceRequest(name);
        request.ifr_hwaddr_family = ARPHRD_ETHER;
        for (int i = 0; i < 6; i++)
        {
            request.ifr_hwaddr_data[i] = mac[i];
        }

        return InterfaceIoctl(socket, SIOCSIFHWADDR, &request);
    }

    /// <summary>A datagram socket to address netdevice(7) requests to, in the calling thread's network namespace.</summary>
    public static SafeFd InterfaceControlSocket() => Socket(AF_INET, SOCK_DGRAM);

    internal static unsafe ifreq NewInterfaceRequest(string name)
    {
        if (!IsValidInterfaceName(name))
        {
            throw new ArgumentException($"'{name}' is not an interface name (1 to {InterfaceNameSize - 1} bytes, no '/', ':' or white space)", nameof(name));
        }

        ifreq request = default;
        Encoding.UTF8.GetBytes(name, new Span<byte>(request.ifr_name, InterfaceNameSize - 1));
        return request;
    }

    /// <summary>The interface name a request came back with (NUL-terminated within IFNAMSIZ).</summary>
    internal static unsafe string InterfaceName(ifreq* request)
    {
        var bytes = new ReadOnlySpan<byte>(request->ifr_name, InterfaceNameSize);
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    internal static unsafe Errno InterfaceIoctl(SafeFd fd, uint request, ifreq* argument)
    {
        using var lease = new FdLease(fd);
        return ioctl(lease.Raw, request, argument) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    internal static unsafe Errno IntIoctl(SafeFd fd, uint request, nuint value)
    {
        using var lease = new FdLease(fd);
        return ioctl(lease.Raw, request, (void*)value) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    internal static unsafe Errno PointerIoctl(SafeFd fd, uint request, void* argument)
    {
        using var lease = new FdLease(fd);
        return ioctl(lease.Raw, request, argument) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }
}
