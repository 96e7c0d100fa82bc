namespace SupHost.Native;

/// <summary>
/// The C library, one partial file per header (<c>Libc.Socket.cs</c> for sys/socket.h and so on).
/// Raw imports are private and keep their man-page names; the public wrappers take and return
/// <see cref="SafeFd"/> and throw <see cref="NativeException"/>.
/// </summary>
public static partial class Libc
{
    private const string LibraryName = "libc";
}
