using System.Runtime.InteropServices;

namespace SupHost.Native;

// linux/netlink.h, linux/rtnetlink.h, linux/if_link.h: the one rtnetlink request SupHost makes,
// RTM_NEWLINK with IFLA_NET_NS_FD, which moves a link into another network namespace (rtnetlink(7);
// what `ip link set dev NAME netns NS` sends). netdevice(7) has no ioctl for it.
public static partial class Libc
{
    private const int AF_NETLINK = 16;
    private const int NETLINK_ROUTE = 0;
    private const ushort RTM_NEWLINK = 16;
    private const ushort NLMSG_ERROR = 2;
    private const ushort NLM_F_REQUEST = 0x1;
    private const ushort NLM_F_ACK = 0x4;
    private const ushort IFLA_NET_NS_FD = 28;

    /// <summary>RTM_NEWLINK for one link with one u32 attribute (nlmsghdr 16 + ifinfomsg 16 + rtattr 4 + u32 4 = 40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LinkNamespaceRequest
    {
        public uint nlmsg_len;
        public ushort nlmsg_type;
        public ushort nlmsg_flags;
        public uint nlmsg_seq;
        public uint nlmsg_pid;
        public byte ifi_family;
        public byte ifi_pad;
        public ushort ifi_type;
        public int ifi_index;
        public uint ifi_flags;
        public uint ifi_change;
        public ushort rta_len;
        public ushort rta_type;
        public uint rta_value;
    }

    /// <summary>
    /// Moves the link <paramref name="name"/> of the calling thread's network namespace into
    /// <paramref name="target"/> (an open namespace descriptor). Returns the kernel's errno from the
    /// acknowledgement (ENODEV: no such link; EINVAL: a device that cannot move, such as lo), or
    /// EAGAIN when no acknowledgement came within five seconds.
    /// </summary>
    public static unsafe Errno TryMoveLinkToNamespace(string name, SafeFd target)
    {
        int index;
        using (SafeFd control = InterfaceControlSocket())
        {
            Errno found = TryGetInterfaceIndex(control, name, out index);
            if (found != Errno.None)
            {
                return found;
            }
        }

        int raw = Libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        using var netlink = new SafeFd(raw);
        SetReceiveTimeout(netlink, TimeSpan.FromSeconds(5));
        using var nsLease = new FdLease(target);
        var request = new LinkNamespaceRequest
        {
            nlmsg_len = (uint)sizeof(LinkNamespaceRequest),
            nlmsg_type = RTM_NEWLINK,
            nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
            nlmsg_seq = 1,
            ifi_index = index,
            rta_len = 8,
            rta_type = IFLA_NET_NS_FD,
            rta_value = (uint)nsLease.Raw,
        };

        // No destination address: a netlink socket's default peer is the kernel.
        var vector = new iovec { iov_base = &request, iov_len = (nuint)sizeof(LinkNamespaceRequest) };
        var message = new msghdr { msg_iov = &vector, msg_iovlen = 1 };
        if (sendmsg(raw, &message, 0) < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        // The acknowledgement: an NLMSG_ERROR whose int32 after the header is 0 or -errno.
        byte* reply = stackalloc byte[256];
        var replyVector = new iovec { iov_base = reply, iov_len = 256 };
        var replyMessage = new msghdr { msg_iov = &replyVector, msg_iovlen = 1 };
        while (true)
        {
            nint received = recvmsg(raw, &replyMessage, 0);
            if (received < 0)
            {
                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                return errno;
            }

            if (received >= 20 && *(ushort*)(reply + 4) == NLMSG_ERROR)
            {
                return (Errno)(-*(int*)(reply + 16));
            }
        }
    }
}
