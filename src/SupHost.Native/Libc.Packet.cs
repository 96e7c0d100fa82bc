using System.Runtime.InteropServices;

namespace SupHost.Native;

// linux/if_packet.h: AF_PACKET raw sockets bound to one interface (packet(7)), promiscuous
// membership (PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC) and PACKET_VNET_HDR.
public static partial class Libc
{
    private const int AF_PACKET = 17;
    private const int SOCK_RAW = 3;
    private const int SOCK_NONBLOCK = 0x800;
    private const ushort ETH_P_ALL = 0x0003;
    private const int SOL_PACKET = 263;
    private const int PACKET_ADD_MEMBERSHIP = 1;
    private const int PACKET_VNET_HDR = 15;
    private const int PACKET_IGNORE_OUTGOING = 23;
    private const ushort PACKET_MR_PROMISC = 1;

    /// <summary>struct sockaddr_ll (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct sockaddr_ll
    {
        public ushort sll_family;
        public ushort sll_protocol;
        public int sll_ifindex;
        public ushort sll_hatype;
        public byte sll_pkttype;
        public byte sll_halen;
        public fixed byte sll_addr[8];
    }

    /// <summary>struct packet_mreq (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct packet_mreq
    {
        public int mr_ifindex;
        public ushort mr_type;
        public ushort mr_alen;
        public fixed byte mr_address[8];
    }

    /// <summary>
    /// A non-blocking AF_PACKET SOCK_RAW socket for every protocol (ETH_P_ALL), in the calling
    /// thread's network namespace, bound to the interface <paramref name="name"/> there; with
    /// <paramref name="promiscuous"/> a PACKET_MR_PROMISC membership (undone by the kernel when the
    /// socket closes), with <paramref name="vnetHeader"/> PACKET_VNET_HDR (each frame starts with a
    /// virtio_net_hdr). The socket ignores the frames the host itself sends out of the interface
    /// (PACKET_IGNORE_OUTGOING, Linux 4.20; skipped on a kernel without it): it receives what
    /// arrives from the wire only, so the host's own traffic is not taken for the wire's. Returns
    /// the errno of the step that failed (ENODEV: no such interface).
    /// </summary>
    public static unsafe Errno TryOpenPacketSocket(string name, bool promiscuous, bool vnetHeader, out SafeFd? socket, out int index)
    {
        socket = null;
        index = 0;
        ushort protocol = (ushort)((ETH_P_ALL << 8) | (ETH_P_ALL >> 8)); // htons
        int raw = Libc.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        Errno errno = TryGetInterfaceIndex(fd, name, out index);
        if (errno == Errno.None && vnetHeader)
        {
            // Set before bind: packet(7) refuses PACKET_VNET_HDR on a socket with a ring, and the
            // kernel applies it to every frame after the call.
            int on = 1;
            errno = SetOption(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(int));
        }

        if (errno == Errno.None)
        {
            int on = 1;
            Errno ignored = SetOption(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof(int));
            if (ignored is not (Errno.None or Errno.ENOPROTOOPT))
            {
                errno = ignored;
            }
        }

        if (errno == Errno.None)
        {
            var address = new sockaddr_ll { sll_family = AF_PACKET, sll_protocol = protocol, sll_ifindex = index };
            using var lease = new FdLease(fd);
            errno = bind(lease.Raw, &address, (uint)sizeof(sockaddr_ll)) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
        }

        if (errno == Errno.None && promiscuous)
        {
            var membership = new packet_mreq { mr_ifindex = index, mr_type = PACKET_MR_PROMISC };
            errno = SetOption(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(packet_mreq));
        }

        if (errno != Errno.None)
        {
            fd.Dispose();
            return errno;
        }

        socket = fd;
        return Errno.None;
    }

    private static unsafe Errno SetOption(SafeFd fd, int level, int name, void* value, uint length)
    {
        using var lease = new FdLease(fd);
        return setsockopt(lease.Raw, level, name, value, length) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }
}
