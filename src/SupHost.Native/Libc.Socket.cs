using System.Runtime.InteropServices;
using System.Text;

namespace SupHost.Native;

// sys/socket.h, sys/un.h: the Unix-domain SOCK_SEQPACKET transport and SCM_RIGHTS (unix(7), cmsg(3)).
public static partial class Libc
{
    /// <summary>AF_UNIX.</summary>
    public const int AF_UNIX = 1;
    /// <summary>SOCK_STREAM.</summary>
    public const int SOCK_STREAM = 1;
    /// <summary>SOCK_DGRAM.</summary>
    public const int SOCK_DGRAM = 2;
    /// <summary>SOCK_SEQPACKET: reliable, ordered, message boundaries kept.</summary>
    public const int SOCK_SEQPACKET = 5;
    /// <summary>SOCK_CLOEXEC, or'ed into the type.</summary>
    public const int SOCK_CLOEXEC = 0x80000;

    /// <summary>The most descriptors one received message takes (ReceiveMessage gives control space for this many; SCM_MAX_FD is 253).</summary>
    public const int MaxFdsPerMessage = 16;

    /// <summary>
    /// The most descriptors one message may carry on the sending side: the kernel's SCM_MAX_FD
    /// (include/net/scm.h). A receiver that gives less control space gets MSG_CTRUNC and the rest
    /// closed, which is how a daemon learns a peer sent more than it takes.
    /// </summary>
    public const int MaxFdsPerSend = 253;

    private const int SOL_SOCKET = 1;
    private const int SO_PEERCRED = 17;
    private const int SO_TYPE = 3;
    private const int SO_ACCEPTCONN = 30;
    private const int SO_DOMAIN = 39;
    private const int SO_SNDBUF = 7;
    private const int SO_RCVBUF = 8;
    private const int SO_RCVTIMEO = 20;
    private const int SO_SNDTIMEO = 21;
    private const int SO_SNDBUFFORCE = 32;
    private const int SO_RCVBUFFORCE = 33;
    private const int MSG_PEEK = 0x2;
    private const int MSG_DONTWAIT = 0x40;
    private const int SCM_RIGHTS = 1;
    private const int MSG_CTRUNC = 0x8;
    private const int MSG_TRUNC = 0x20;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int SunPathLength = 108;

    /// <summary>struct sockaddr_un (110 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct sockaddr_un
    {
        public ushort sun_family;
        public fixed byte sun_path[SunPathLength];
    }

    /// <summary>struct iovec (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    /// <summary>struct msghdr (56 bytes on x86-64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    /// <summary>struct cmsghdr (16 bytes before the data on x86-64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct cmsghdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    /// <summary>struct ucred (12 bytes): what SO_PEERCRED returns.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ucred
    {
        public int pid;
        public uint uid;
        public uint gid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct timeval
    {
        public long tv_sec;
        public long tv_usec;
    }

    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibraryName, EntryPoint = "socketpair", SetLastError = true)]
    private static unsafe partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    private static unsafe partial int bind(int fd, void* addr, uint len);

    [LibraryImport(LibraryName, EntryPoint = "connect", SetLastError = true)]
    private static unsafe partial int connect(int fd, void* addr, uint len);

    [LibraryImport(LibraryName, EntryPoint = "listen", SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport(LibraryName, EntryPoint = "accept4", SetLastError = true)]
    private static unsafe partial int accept4(int fd, void* addr, void* len, int flags);

    [LibraryImport(LibraryName, EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint sendmsg(int fd, msghdr* msg, int flags);

    [LibraryImport(LibraryName, EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint recvmsg(int fd, msghdr* msg, int flags);

    [LibraryImport(LibraryName, EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int getsockopt(int fd, int level, int name, void* value, uint* len);

    [LibraryImport(LibraryName, EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int setsockopt(int fd, int level, int name, void* value, uint len);

    [LibraryImport(LibraryName, EntryPoint = "shutdown", SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    /// <summary>
    /// What socket <paramref name="fd"/> is: its <paramref name="domain"/> (SO_DOMAIN: AF_UNIX 1,
    /// AF_INET 2, AF_PACKET 17...), <paramref name="type"/> (SO_TYPE: SOCK_STREAM 1, SOCK_DGRAM 2,
    /// SOCK_RAW 3, SOCK_SEQPACKET 5) and whether it listens (SO_ACCEPTCONN). ENOTSOCK when it is none.
    /// </summary>
    public static unsafe Errno TryGetSocketKind(SafeFd fd, out int domain, out int type, out bool listening)
    {
        (domain, type, listening) = (0, 0, false);
        using var lease = new FdLease(fd);
        int value = 0;
        uint len = sizeof(int);
        if (getsockopt(lease.Raw, SOL_SOCKET, SO_DOMAIN, &value, &len) != 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        domain = value;
        len = sizeof(int);
        if (getsockopt(lease.Raw, SOL_SOCKET, SO_TYPE, &value, &len) != 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        type = value;
        len = sizeof(int);
        if (getsockopt(lease.Raw, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) != 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        listening = value != 0;
        return Errno.None;
    }

    /// <summary>Creates a socket; <see cref="SOCK_CLOEXEC"/> is always added.</summary>
    public static SafeFd Socket(int domain, int type, int protocol = 0)
    {
        int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
        return fd < 0 ? throw NativeException.FromLastError("socket") : new SafeFd(fd);
    }

    /// <summary>Creates a connected pair of Unix sockets of <paramref name="type"/>.</summary>
    public static unsafe (SafeFd First, SafeFd Second) SocketPair(int type)
    {
        int* sv = stackalloc int[2];
        if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
        {
            throw NativeException.FromLastError("socketpair");
        }

        return (new SafeFd(sv[0]), new SafeFd(sv[1]));
    }

    /// <summary>Binds <paramref name="fd"/> to the filesystem path <paramref name="path"/>.</summary>
    public static unsafe void Bind(SafeFd fd, string path)
    {
        sockaddr_un addr = MakeAddress(path, out uint len);
        using var lease = new FdLease(fd);
        if (bind(lease.Raw, &addr, len) != 0)
        {
            throw NativeException.FromLastError("bind", path);
        }
    }

    /// <summary>Connects <paramref name="fd"/> to the socket at <paramref name="path"/>.</summary>
    public static unsafe void Connect(SafeFd fd, string path)
    {
        sockaddr_un addr = MakeAddress(path, out uint len);
        using var lease = new FdLease(fd);
        if (connect(lease.Raw, &addr, len) != 0)
        {
            throw NativeException.FromLastError("connect", path);
        }
    }

    /// <summary>Marks <paramref name="fd"/> as listening.</summary>
    public static void Listen(SafeFd fd, int backlog)
    {
        using var lease = new FdLease(fd);
        if (listen(lease.Raw, backlog) != 0)
        {
            throw NativeException.FromLastError("listen");
        }
    }

    /// <summary>Accepts one connection (blocking). Throws with EINVAL once the listener was shut down.</summary>
    public static unsafe SafeFd Accept(SafeFd listener)
    {
        bool added = false;
        try
        {
            listener.DangerousAddRef(ref added);
            int raw = listener.DangerousGetHandle().ToInt32();
            while (true)
            {
                int fd = accept4(raw, null, null, SOCK_CLOEXEC);
                if (fd >= 0)
                {
                    return new SafeFd(fd);
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeException("accept4", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                listener.DangerousRelease();
            }
        }
    }

    /// <summary>Shuts down both directions; wakes any thread blocked in accept or receive on it.</summary>
    public static void Shutdown(SafeFd fd)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            _ = shutdown(fd.DangerousGetHandle().ToInt32(), 2);
        }
        catch (ObjectDisposedException)
        {
            // Already closed: nothing left to wake.
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    /// <summary>The peer's credentials as the kernel recorded them at connect time (SO_PEERCRED).</summary>
    public static unsafe PeerCredentials GetPeerCredentials(SafeFd fd)
    {
        ucred cred = default;
        uint len = (uint)sizeof(ucred);
        using var lease = new FdLease(fd);
        if (getsockopt(lease.Raw, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        {
            throw NativeException.FromLastError("getsockopt", "SO_PEERCRED");
        }

        return new PeerCredentials(cred.pid, cred.uid, cred.gid);
    }

    /// <summary>Bounds how long a receive may block; <see cref="TimeSpan.Zero"/> blocks forever.</summary>
    public static void SetReceiveTimeout(SafeFd fd, TimeSpan timeout) => SetTimeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", timeout);

    /// <summary>Bounds how long a send may block (EAGAIN after it); <see cref="TimeSpan.Zero"/> blocks forever.</summary>
    public static void SetSendTimeout(SafeFd fd, TimeSpan timeout) => SetTimeout(fd, SO_SNDTIMEO, "SO_SNDTIMEO", timeout);

    /// <summary>
    /// Lets <paramref name="fd"/> send datagrams of up to <paramref name="largestSend"/> bytes and
    /// asks for a receive buffer of <paramref name="largestReceive"/>, and returns the send size it
    /// now allows. An AF_UNIX datagram longer than the sender's sk_sndbuf - 32 fails with EMSGSIZE
    /// (net/unix/af_unix.c, unix_dgram_sendmsg), so the send buffer is what bounds a message. The
    /// kernel doubles the value it is given (socket(7)); SO_SNDBUFFORCE (CAP_NET_ADMIN) passes
    /// net.core.wmem_max, SO_SNDBUF is capped by it. Neither allocates memory: they are limits.
    /// </summary>
    public static unsafe int SizeBuffers(SafeFd fd, int largestSend, int largestReceive)
    {
        using var lease = new FdLease(fd);
        SetBuffer(lease.Raw, SO_SNDBUFFORCE, SO_SNDBUF, largestSend);
        SetBuffer(lease.Raw, SO_RCVBUFFORCE, SO_RCVBUF, largestReceive);
        int value = 0;
        uint len = sizeof(int);
        if (getsockopt(lease.Raw, SOL_SOCKET, SO_SNDBUF, &value, &len) != 0)
        {
            throw NativeException.FromLastError("getsockopt", "SO_SNDBUF");
        }

        // The largest datagram the buffer takes (the kernel keeps 32 bytes of it for itself).
        return Math.Max(0, value - 32);

        static void SetBuffer(int raw, int forced, int plain, int bytes)
        {
            // Half of what is needed, rounded up, plus room for the skb's own overhead: the kernel doubles it.
            int value = (int)Math.Min(int.MaxValue / 2, ((long)bytes / 2) + 4096);
            if (setsockopt(raw, SOL_SOCKET, forced, &value, sizeof(int)) != 0
                && setsockopt(raw, SOL_SOCKET, plain, &value, sizeof(int)) != 0)
            {
                throw NativeException.FromLastError("setsockopt", "SO_SNDBUF/SO_RCVBUF");
            }
        }
    }

    private static unsafe void SetTimeout(SafeFd fd, int option, string name, TimeSpan timeout)
    {
        long us = Math.Max(0, (long)timeout.TotalMicroseconds);
        if (timeout > TimeSpan.Zero && us == 0)
        {
            // A positive timeout below a microsecond must not turn into "forever".
            us = 1;
        }

        var tv = new timeval { tv_sec = us / 1_000_000, tv_usec = us % 1_000_000 };
        using var lease = new FdLease(fd);
        if (setsockopt(lease.Raw, SOL_SOCKET, option, &tv, (uint)sizeof(timeval)) != 0)
        {
            throw NativeException.FromLastError("setsockopt", name);
        }
    }

    /// <summary>
    /// Sends one message of <paramref name="length"/> bytes at <paramref name="data"/>, with
    /// <paramref name="fds"/> attached as SCM_RIGHTS. Never raises SIGPIPE. Returns the errno
    /// (EPIPE, ECONNRESET when the peer went away) rather than throwing, so a server can tell a gone
    /// peer from a bug without an exception per closed connection.
    /// </summary>
    public static unsafe Errno SendMessage(SafeFd fd, byte* data, int length, ReadOnlySpan<SafeFd> fds = default)
    {
        if (fds.Length > MaxFdsPerSend)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), $"{fds.Length} descriptors exceed the limit {MaxFdsPerSend}");
        }

        var iov = new iovec { iov_base = data, iov_len = (nuint)length };
        var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1 };
        int controlLength = fds.IsEmpty ? 0 : ControlSpace(fds.Length);
        byte* control = stackalloc byte[ControlSpace(Math.Max(fds.Length, 1))];
        Span<bool> added = stackalloc bool[fds.Length];
        bool selfAdded = false;
        try
        {
            if (!fds.IsEmpty)
            {
                new Span<byte>(control, controlLength).Clear();
                var cmsg = (cmsghdr*)control;
                cmsg->cmsg_len = (nuint)(sizeof(cmsghdr) + (sizeof(int) * fds.Length));
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                int* slots = (int*)(control + sizeof(cmsghdr));
                for (int i = 0; i < fds.Length; i++)
                {
                    fds[i].DangerousAddRef(ref added[i]);
                    slots[i] = fds[i].DangerousGetHandle().ToInt32();
                }

                msg.msg_control = control;
                msg.msg_controllen = (nuint)controlLength;
            }

            fd.DangerousAddRef(ref selfAdded);
            int raw = fd.DangerousGetHandle().ToInt32();
            while (true)
            {
                nint sent = sendmsg(raw, &msg, MSG_NOSIGNAL);
                if (sent >= 0)
                {
                    return Errno.None;
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return errno;
                }
            }
        }
        finally
        {
            if (selfAdded)
            {
                fd.DangerousRelease();
            }

            for (int i = 0; i < fds.Length; i++)
            {
                if (added[i])
                {
                    fds[i].DangerousRelease();
                }
            }
        }
    }

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> (blocking). The result's length is the
    /// message's real length, which exceeds <paramref name="capacity"/> when it was truncated
    /// (MSG_TRUNC). Received descriptors are wrapped at once and appended to <paramref name="fds"/>;
    /// a truncated control message (MSG_CTRUNC) is reported as such, never silently dropped.
    /// With <see cref="ReceiveOptions.Peek"/> the message stays queued and no descriptor is received
    /// (no control space is given, so the kernel installs none: net/core/scm.c).
    /// </summary>
    public static unsafe ReceiveResult ReceiveMessage(SafeFd fd, byte* buffer, int capacity, ICollection<SafeFd>? fds = null, ReceiveOptions options = default)
    {
        bool peek = options.HasFlag(ReceiveOptions.Peek);
        int flags = MSG_TRUNC | MSG_CMSG_CLOEXEC | (peek ? MSG_PEEK : 0) | (options.HasFlag(ReceiveOptions.DontWait) ? MSG_DONTWAIT : 0);
        var iov = new iovec { iov_base = buffer, iov_len = (nuint)capacity };
        int controlLength = peek ? 0 : ControlSpace(MaxFdsPerMessage);
        byte* control = stackalloc byte[ControlSpace(MaxFdsPerMessage)];
        var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = peek ? null : control, msg_controllen = (nuint)controlLength };
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int raw = fd.DangerousGetHandle().ToInt32();
            nint received;
            while (true)
            {
                received = recvmsg(raw, &msg, flags);
                if (received >= 0)
                {
                    break;
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return new ReceiveResult(0, errno, false, false);
                }
            }

            // Wrap every descriptor before looking at anything else, so none can leak.
            int fdCount = 0;
            if (!peek && msg.msg_controllen >= (nuint)sizeof(cmsghdr))
            {
                for (var cmsg = (cmsghdr*)control;
                     cmsg != null && (byte*)cmsg + sizeof(cmsghdr) <= control + (int)msg.msg_controllen;
                     cmsg = NextControl(cmsg, control, (int)msg.msg_controllen))
                {
                    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
                    {
                        continue;
                    }

                    int count = ((int)cmsg->cmsg_len - sizeof(cmsghdr)) / sizeof(int);
                    int* slots = (int*)((byte*)cmsg + sizeof(cmsghdr));
                    for (int i = 0; i < count; i++)
                    {
                        var wrapped = new SafeFd(slots[i]);
                        if (fds is null)
                        {
                            wrapped.Dispose();
                        }
                        else
                        {
                            fds.Add(wrapped);
                        }

                        fdCount++;
                    }
                }
            }

            // A peek gives no control space, so MSG_CTRUNC says only that descriptors are queued.
            return new ReceiveResult((int)received, Errno.None, (msg.msg_flags & MSG_TRUNC) != 0, (msg.msg_flags & MSG_CTRUNC) != 0);
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    private static unsafe cmsghdr* NextControl(cmsghdr* cmsg, byte* control, int controlLength)
    {
        byte* next = (byte*)cmsg + Align((int)cmsg->cmsg_len);
        return next + sizeof(cmsghdr) > control + controlLength ? null : (cmsghdr*)next;
    }

    private static int Align(int length) => (length + 7) & ~7;

    private static unsafe int ControlSpace(int fdCount) => sizeof(cmsghdr) + Align(sizeof(int) * fdCount);

    private static unsafe sockaddr_un MakeAddress(string path, out uint length)
    {
        int byteCount = Encoding.UTF8.GetByteCount(path);
        if (byteCount == 0 || byteCount >= SunPathLength)
        {
            throw new ArgumentException($"socket path of {byteCount} bytes must be 1 to {SunPathLength - 1} bytes: {path}", nameof(path));
        }

        var addr = new sockaddr_un { sun_family = AF_UNIX };
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, SunPathLength));
        length = (uint)(sizeof(ushort) + byteCount + 1);
        return addr;
    }
}
