namespace SupHost.Abi;

/// <summary>
/// Persistent TAP devices (TUNSETPERSIST of linux/if_tun.h, Abi 1.2): a TAP that stays as a device
/// after its handle closes (and after the daemon stops or dies), reopened by name later, and
/// deleted. The daemon's <see cref="IModuleIo"/> is one: test with <c>host.Io is IModuleTapIo</c>
/// (a daemon before 1.2 answers false). Handles are as <see cref="IModuleIo.CreateTap"/>'s
/// (<see cref="IoHandleKind.Tap"/>, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 10-byte header, non-blocking)
/// and count in the module's descriptors. Statuses as <see cref="IModuleIo"/>'s.
/// </summary>
public interface IModuleTapIo
{
    /// <summary>
    /// As <see cref="IModuleIo.CreateTap"/>; with <paramref name="persistent"/> the TAP is made
    /// persistent (TUNSETPERSIST 1): closing the handle leaves the device (without carrier).
    /// </summary>
    int CreateTap(string name, string? networkNamespace, TapOffloads offloads, bool persistent, out IModuleIoHandle? tap);

    /// <summary>
    /// Attaches a new handle to the existing TAP <paramref name="name"/> in
    /// <paramref name="networkNamespace"/> (TUNSETIFF on the name; never creates one): -15 NotFound
    /// when there is no interface of that name there, -2 InvalidParameter when the interface is not
    /// a TAP (a veth, a TUN, a multi-queue TAP), -16 AlreadyExists when another descriptor holds the
    /// TAP (an open non-persistent TAP always is held). <paramref name="persistent"/> is whether the
    /// device was persistent (a persistent TAP nobody holds is the only kind this can open). The
    /// device keeps its MTU, address and persistence.
    /// </summary>
    int OpenTap(string name, string? networkNamespace, TapOffloads offloads, out IModuleIoHandle? tap, out bool persistent);

    /// <summary>
    /// Makes the TAP of <paramref name="tap"/> (a handle of this module of kind
    /// <see cref="IoHandleKind.Tap"/>, made by CreateTap or OpenTap) persistent or not; a TAP made
    /// not persistent goes when its last handle closes. -2 InvalidParameter for another handle,
    /// -21 ObjectDying for a closed one.
    /// </summary>
    int SetTapPersistent(IModuleIoHandle tap, bool persistent);
}
