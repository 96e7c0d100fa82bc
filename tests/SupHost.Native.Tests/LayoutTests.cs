using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SupHost.Native.Tests;

public class LayoutTests
{
    [Fact]
    public void Structs_match_the_x86_64_kernel_abi()
    {
        // sizes from <sys/socket.h>, <sys/un.h> and <bits/types/struct_iovec.h> on x86-64
        Assert.Equal(56, Unsafe.SizeOf<Libc.msghdr>());
        Assert.Equal(16, Unsafe.SizeOf<Libc.iovec>());
        Assert.Equal(16, Unsafe.SizeOf<Libc.cmsghdr>());
        Assert.Equal(12, Unsafe.SizeOf<Libc.ucred>());
        Assert.Equal(110, Unsafe.SizeOf<Libc.sockaddr_un>());
        Assert.Equal(144, Unsafe.SizeOf<Libc.stat_t>());
        Assert.Equal(16, Unsafe.SizeOf<Libc.rlimit>());

        // <linux/aio_abi.h>
        Assert.Equal(64, Unsafe.SizeOf<Libc.iocb>());
        Assert.Equal(32, Unsafe.SizeOf<Libc.io_event>());

        // <sys/epoll.h> (__EPOLL_PACKED), <net/if.h>, <linux/if_packet.h>
        Assert.Equal(12, Unsafe.SizeOf<Libc.epoll_event>());
        Assert.Equal(40, Unsafe.SizeOf<Libc.ifreq>());
        Assert.Equal(20, Unsafe.SizeOf<Libc.sockaddr_ll>());
        Assert.Equal(16, Unsafe.SizeOf<Libc.packet_mreq>());
        Assert.Equal(40, Unsafe.SizeOf<Libc.LinkNamespaceRequest>());
        Assert.Equal(16, (int)Marshal.OffsetOf<Libc.LinkNamespaceRequest>(nameof(Libc.LinkNamespaceRequest.ifi_family)));
        Assert.Equal(32, (int)Marshal.OffsetOf<Libc.LinkNamespaceRequest>(nameof(Libc.LinkNamespaceRequest.rta_len)));
    }

    [Fact]
    public void Ifreq_puts_the_union_after_the_16_byte_name()
    {
        Assert.Equal(16, (int)Marshal.OffsetOf<Libc.ifreq>(nameof(Libc.ifreq.ifr_flags)));
        Assert.Equal(16, (int)Marshal.OffsetOf<Libc.ifreq>(nameof(Libc.ifreq.ifr_ivalue)));
        Assert.Equal(18, (int)Marshal.OffsetOf<Libc.ifreq>(nameof(Libc.ifreq.ifr_hwaddr_data)));
        Assert.Equal(4, (int)Marshal.OffsetOf<Libc.sockaddr_ll>(nameof(Libc.sockaddr_ll.sll_ifindex)));
        Assert.Equal(12, (int)Marshal.OffsetOf<Libc.sockaddr_ll>(nameof(Libc.sockaddr_ll.sll_addr)));
    }

    [Theory]
    [InlineData("eth0", true)]
    [InlineData("sw.a-b_1", true)]
    [InlineData("fifteen-bytes15", true)]
    [InlineData("sixteen-bytes-16", false)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("a:b", false)]
    [InlineData("a b", false)]
    public void Interface_names_follow_dev_valid_name(string name, bool valid) => Assert.Equal(valid, Libc.IsValidInterfaceName(name));

    [Theory]
    [InlineData("red", true)]
    [InlineData("supio-0a1b", true)]
    [InlineData("../etc", false)]
    [InlineData("a/b", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    public void Namespace_names_cannot_leave_run_netns(string name, bool valid) => Assert.Equal(valid, Libc.IsValidNetworkNamespaceName(name));

    [Fact]
    public void Stat_reads_owner_and_mode()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(file, (UnixFileMode)0x1b4); // 0664
            FileStatus status = Libc.GetFileStatus(file);
            Assert.Equal(0x1b4u, status.Permissions);
            Assert.True(status.GroupWritable);
            Assert.False(status.OtherWritable);
            Assert.Equal(Libc.EffectiveUserId, status.UserId);
            Assert.Equal(0x8000u, status.Mode & 0xf000); // S_IFREG
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Msghdr_fields_sit_at_their_offsets()
    {
        var msg = default(Libc.msghdr);
        unsafe
        {
            byte* b = (byte*)&msg;
            Assert.Equal(16, (int)((byte*)&msg.msg_iov - b));
            Assert.Equal(24, (int)((byte*)&msg.msg_iovlen - b));
            Assert.Equal(32, (int)((byte*)&msg.msg_control - b));
            Assert.Equal(40, (int)((byte*)&msg.msg_controllen - b));
            Assert.Equal(48, (int)((byte*)&msg.msg_flags - b));
        }
    }
}
