using System.Text;

namespace SupHost.Native.Tests;

public class SocketTests
{
    [Fact]
    public unsafe void Messages_keep_their_boundaries_and_carry_descriptors()
    {
        (SafeFd a, SafeFd b) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
        using (a)
        using (b)
        {
            string file = Path.GetTempFileName();
            try
            {
                File.WriteAllText(file, "through SCM_RIGHTS");
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read);
                using var passed = new SafeFd((int)stream.SafeFileHandle.DangerousGetHandle(), ownsHandle: false);

                byte[] first = Encoding.ASCII.GetBytes("one");
                byte[] second = Encoding.ASCII.GetBytes("two!");
                fixed (byte* p = first)
                {
                    Assert.Equal(Errno.None, Libc.SendMessage(a, p, first.Length, [passed]));
                }

                fixed (byte* p = second)
                {
                    Assert.Equal(Errno.None, Libc.SendMessage(a, p, second.Length));
                }

                byte[] buffer = new byte[64];
                var fds = new List<SafeFd>();
                fixed (byte* p = buffer)
                {
                    ReceiveResult r1 = Libc.ReceiveMessage(b, p, buffer.Length, fds);
                    Assert.Equal(3, r1.Length);
                    Assert.Single(fds);

                    // The received descriptor is a new number for the same open file.
                    using var received = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fds[0].DangerousGetHandle(), ownsHandle: false), FileAccess.Read);
                    received.Seek(0, SeekOrigin.Begin);
                    Assert.Equal("through SCM_RIGHTS", new StreamReader(received).ReadToEnd());
                    Assert.NotEqual(passed.Number, fds[0].Number);

                    ReceiveResult r2 = Libc.ReceiveMessage(b, p, buffer.Length, fds);
                    Assert.Equal(4, r2.Length);
                }

                fds.ForEach(f => f.Dispose());
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public unsafe void A_truncated_message_reports_its_real_length()
    {
        (SafeFd a, SafeFd b) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
        using (a)
        using (b)
        {
            byte[] big = new byte[100];
            fixed (byte* p = big)
            {
                Assert.Equal(Errno.None, Libc.SendMessage(a, p, big.Length));
            }

            byte* small = stackalloc byte[10];
            ReceiveResult r = Libc.ReceiveMessage(b, small, 10);
            Assert.True(r.Truncated);
            Assert.Equal(100, r.Length);
        }
    }

    [Fact]
    public void Peer_credentials_name_this_process()
    {
        (SafeFd a, SafeFd b) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
        using (a)
        using (b)
        {
            PeerCredentials peer = Libc.GetPeerCredentials(b);
            Assert.Equal(Environment.ProcessId, peer.ProcessId);
            Assert.Equal(Libc.EffectiveUserId, peer.UserId);
            Assert.Equal(Libc.EffectiveGroupId, peer.GroupId);
        }
    }

    [Fact]
    public void Errors_name_the_call_and_the_errno()
    {
        using SafeFd fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        NativeException ex = Assert.Throws<NativeException>(() => Libc.Connect(fd, "/nonexistent/dir/sock"));
        Assert.Equal(Errno.ENOENT, ex.Errno);
        Assert.StartsWith("connect(/nonexistent/dir/sock): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_lock_is_exclusive_until_released()
    {
        string path = Path.Combine(Path.GetTempPath(), $"suphost-lock-{Guid.NewGuid():N}");
        try
        {
            using (SafeFd? first = Libc.TryLockFile(path, UnixFileMode.UserRead | UnixFileMode.UserWrite))
            {
                Assert.NotNull(first);
                Assert.Null(Libc.TryLockFile(path, UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }

            using SafeFd? again = Libc.TryLockFile(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.NotNull(again);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
