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
    private const uint TUNSETPERSIST = 0x400454cb;
    private const short IFF_PERSIST = 0x0800;
    private const uint TUNGETVNETHDRSZ = 0x800454d7;

    /// <summary>The major and minor device numbers of /dev/net/tun (Documentation/admin-guide/devices.txt: 10, 200).</summary>
    public const uint TunMajor = 10;

    /// <summary>The minor device number of /dev/net/tun.</summary>
    public const uint TunMinor = 200;
    private const short IFF_TAP = 0x0002;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_VNET_HDR = 0x4000;
    private const short IFF_TUN_EXCL = unchecked((short)0x8000);

    /// <summary>
    /// Opens /dev/net/tun non-blocking and makes it the TAP <paramref name="name"/> (IFF_TAP |
    /// IFF_NO_PI, and IFF_VNET_HDR when <paramref name="vnetHeader"/>: every frame read or written
    /// then starts with a 10-byte virtio_net_hdr); <paramref name="offloads"/> (TUN_F_*) go to
    /// TUNSETOFFLOAD, which needs IFF_VNET_HDR. IFF_TUN_EXCL: an interface of that name that exists
    /// already (a TAP held or persistent, or any other device) is EBUSY, never attached to. Returns
    /// the errno of the step that failed.
    /// </summary>
    public static Errno TryCreateTap(string name, bool vnetHeader, uint offloads, out SafeFd? tap) =>
        TrySetTap(name, vnetHeader, offloads, exclusive: true, out tap);

    private static unsafe Errno TrySetTap(string name, bool vnetHeader, uint offloads, bool exclusive, out SafeFd? tap)
    {
        tap = null;
        ifreq request = NewInterfaceRequest(name);
        int raw = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        request.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0) | (exclusive ? IFF_TUN_EXCL : 0));
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
    /// Sets or clears TUNSETPERSIST on the TAP of <paramref name="tap"/>: a persistent device stays
    /// when its last descriptor closes (drivers/net/tun.c: tun_detach keeps it), a device made not
    /// persistent goes then.
    /// </summary>
    public static Errno TrySetTapPersistent(SafeFd tap, bool persistent) =>
        IntIoctl(tap, TUNSETPERSIST, persistent ? 1u : 0u);

    /// <summary>
    /// Attaches a new /dev/net/tun descriptor to the existing TAP <paramref name="name"/> in the
    /// caller's network namespace (as <see cref="TryCreateTap"/>, but an interface of that name must
    /// exist first, so that none is made): ENODEV when there is none; EINVAL from TUNSETIFF when it
    /// is not a single-queue TAP (a veth, a TUN); EBUSY when another descriptor holds it.
    /// <paramref name="persistent"/> is whether it had IFF_PERSIST (TUNGETIFF).
    /// </summary>
    public static unsafe Errno TryOpenExistingTap(string name, uint offloads, out SafeFd? tap, out bool persistent)
    {
        (tap, persistent) = (null, false);
        using (SafeFd control = InterfaceControlSocket())
        {
            Errno missing = TryGetInterfaceIndex(control, name, out _);
            if (missing != Errno.None)
            {
                return missing;
            }
        }

        // TUNSETIFF on an existing name attaches (tun.c: tun_set_iff finds the device by name);
        // the window between the check and here only matters if the device is deleted meanwhile,
        // when a new non-persistent one is made and goes with this descriptor.
        Errno errno = TrySetTap(name, vnetHeader: true, offloads, exclusive: false, out SafeFd? fd);
        if (errno != Errno.None)
        {
            return errno;
        }

        ifreq request = default;
        errno = InterfaceIoctl(fd!, TUNGETIFF, &request);
        if (errno != Errno.None)
        {
            fd!.Dispose();
            return errno;
        }

        persistent = (request.ifr_flags & IFF_PERSIST) != 0;
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
