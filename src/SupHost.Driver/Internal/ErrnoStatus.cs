using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>
/// The one mapping from errno (SupHost.Native's <see cref="Errno"/> table) to the wire's
/// <see cref="SupStatus"/>, for every manager that makes a descriptor, a mapping or a lock for a
/// session. Running out of something (descriptors in the process or the system, memory, mappings,
/// AIO requests) is <see cref="SupStatus.LimitReached"/>: the daemon refuses and keeps serving.
/// </summary>
internal static class ErrnoStatus
{
    /// <summary>The status a failure with <paramref name="errno"/> answers.</summary>
    public static SupStatus StatusOf(Errno errno) => errno switch
    {
        Errno.None => SupStatus.Success,

        // EMFILE/ENFILE: the process's or the system's descriptor table (open(2), eventfd(2),
        // memfd_create(2)); ENOMEM: memory, or vm.max_map_count for mmap/mprotect (mmap(2));
        // EAGAIN: RLIMIT_MEMLOCK for mlock(2), fs.aio-max-nr for io_setup(2); ENOSPC: tmpfs pages.
        Errno.EMFILE or Errno.ENFILE or Errno.ENOMEM or Errno.EAGAIN or Errno.ENOSPC => SupStatus.LimitReached,
        Errno.EPERM or Errno.EACCES => SupStatus.PermissionDenied,
        Errno.ENOENT or Errno.ENOTDIR => SupStatus.NotFound,
        Errno.EEXIST => SupStatus.AlreadyExists,
        Errno.EINVAL => SupStatus.InvalidParameter,
        _ => SupStatus.GeneralFailure,
    };

    /// <summary>
    /// The status a module's non-blocking I/O answers for <paramref name="errno"/> (IModuleIo): here
    /// EAGAIN is <see cref="SupStatus.WouldBlock"/> (nothing to do now), not a limit, and a lost peer
    /// is <see cref="SupStatus.PeerClosed"/>.
    /// </summary>
    public static SupStatus IoStatusOf(Errno errno) => errno switch
    {
        Errno.None => SupStatus.Success,
        Errno.EAGAIN => SupStatus.WouldBlock,
        Errno.EPIPE or Errno.ECONNRESET or Errno.ECONNREFUSED or Errno.ENOTCONN => SupStatus.PeerClosed,

        // ENODEV: no such interface (SIOCGIFINDEX, bind of a packet socket); ENXIO: a TAP's link went.
        Errno.ENODEV or Errno.ENXIO or Errno.ENOENT => SupStatus.NotFound,
        Errno.EADDRINUSE or Errno.EBUSY or Errno.EEXIST => SupStatus.AlreadyExists,
        Errno.EMSGSIZE => SupStatus.InvalidSize,
        Errno.EMFILE or Errno.ENFILE or Errno.ENOMEM or Errno.ENOBUFS or Errno.ENOSPC => SupStatus.LimitReached,
        Errno.EPERM or Errno.EACCES => SupStatus.PermissionDenied,
        Errno.EINVAL => SupStatus.InvalidParameter,
        _ => SupStatus.IoFailed,
    };

    /// <summary>The status <paramref name="exception"/>'s errno answers.</summary>
    public static SupStatus StatusOf(NativeException exception) => StatusOf(exception.Errno);

    /// <summary>
    /// The status <paramref name="exception"/> answers and the message to send with it, naming what
    /// the daemon was <paramref name="doing"/> ("creating the eventfd") and the call and errno that failed.
    /// </summary>
    public static SupStatus StatusOf(NativeException exception, string doing, out string message)
    {
        SupStatus status = StatusOf(exception.Errno);
        string limit = exception.Errno switch
        {
            Errno.EMFILE => " (the daemon's descriptor table is full)",
            Errno.ENFILE => " (the system's file table is full)",
            _ => string.Empty,
        };
        message = $"{doing} failed: {exception.Message}{limit}";
        return status;
    }
}
