using System.Runtime.InteropServices;

namespace SupHost.Native;

// linux/if_tun.h: TAP devices from /dev/net/tun (Documentation/networking/tuntap.rst). The device
// is made in the network namespace of the task that opens /dev/net/tun (drivers/net/tun.c's
// tun_set_iff takes the net of the file's socket), so a caller in a namespace thread gets it there.
public static partial class Libc
{
    /// <summary>TUN_F_CSUM: the reader accepts frames whose checksum is left to it (partial checksum).</summary>
    public const uint TUN_F_CSUM = 0x01;
    /// <summary>TUN_F_TSO4: TCP segmentation offload, IPv4.</summary>
    public const uint TUN_F_TSO4 = 0x02;
    /// <summary>TUN_F_TSO6: TCP segmentation offload, IPv6.</summary>
    public const uint TUN_F_TSO6 = 0x04;
    /// <summary>TUN_F_TSO_ECN: TSO with ECN bits.</summary>
    public const uint TUN_F_TSO_ECN = 0x08;

    /// <summary>sizeof(struct virtio_net_hdr): what IFF_VNET_HDR puts before every frame by default.</summary>
    public const int VirtioNetHeaderSize = 10;

    private const uint TUNSETIFF = 0x400454ca;
    private const uint TUNSETOFFLOAD = 0x400454d0;
    private const uint TUNSETVNETHDRSZ = 0x400454d8;
    private const uint TUNGETIFF = 0x800454d2;
    private const uint TUNGETVNETHDRSZ = 0x800454d7;

    /// <summary>The major and minor device numbers of /dev/net/tun (Documentation/admin-guide/devices.txt: 10, 200).</summary>
    public const uint TunMajor = 10;

    /// <summary>The minor device number of /dev/net/tun.</summary>
    public const uint TunMinor = 200;
    private const short IFF_TAP = 0x0002;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_VNET_HDR = 0x4000;

    /// <summary>
    /// Opens /dev/net/tun non-blocking and makes it the TAP <paramref name="name"/> (IFF_TAP |
    /// IFF_NO_PI, and IFF_VNET_HDR when <paramref name="vnetHeader"/>: every frame read or written
    /// then starts with a 10-byte virtio_net_hdr); <paramref name="offloads"/> (TUN_F_*) go to
    /// TUNSETOFFLOAD, which needs IFF_VNET_HDR. Returns the errno of the step that failed.
    /// </summary>
    public static unsafe Errno TryCreateTap(string name, bool vnetHeader, uint offloads, out SafeFd? tap)
    {
        tap = null;
        ifreq request = NewInterfaceRequest(name);
        int raw = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        request.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0));
        Errno errno = InterfaceIoctl(fd, TUNSETIFF, &request);
        if (errno == Errno.None && vnetHeader)
        {
            int size = VirtioNetHeaderSize;
            errno = PointerIoctl(fd, TUNSETVNETHDRSZ, &size);
        }

        if (errno == Errno.None && offloads != 0)
        {
            // TUNSETOFFLOAD takes the flags by value, not through a pointer (tun.c's set_offload).
            errno = IntIoctl(fd, TUNSETOFFLOAD, offloads);
        }

        if (errno != Errno.None)
        {
            fd.Dispose();
            return errno;
        }

        tap = fd;
        return Errno.None;
    }

    /// <summary>
    /// What TAP an open /dev/net/tun descriptor is (TUNGETIFF, TUNGETVNETHDRSZ): its interface
    /// <paramref name="name"/>, whether it is a TAP without packet information and with a
    /// virtio_net_hdr (<paramref name="tapWithVnetHeader"/>: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, not
    /// IFF_TUN), and the header's size. Call it only on a descriptor whose device is /dev/net/tun
    /// (<see cref="TryGetFileType"/>): the request numbers mean other things to other drivers.
    /// EBADFD when the descriptor has no interface attached yet.
    /// </summary>
    public static unsafe Errno TryGetTap(SafeFd fd, out string? name, out bool tapWithVnetHeader, out int vnetHeaderSize)
    {
        (name, tapWithVnetHeader, vnetHeaderSize) = (null, false, 0);
        ifreq request = default;
        Errno errno = InterfaceIoctl(fd, TUNGETIFF, &request);
        if (errno != Errno.None)
        {
            return errno;
        }

        int size = 0;
        errno = PointerIoctl(fd, TUNGETVNETHDRSZ, &size);
        if (errno != Errno.None)
        {
            return errno;
        }

        name = InterfaceName(&request);
        const short wanted = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        tapWithVnetHeader = (request.ifr_flags & (wanted | 0x0001)) == wanted;
        vnetHeaderSize = size;
        return Errno.None;
    }
}
