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
}
