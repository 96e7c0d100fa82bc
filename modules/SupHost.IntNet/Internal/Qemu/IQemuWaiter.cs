using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>Something the QEMU loop's readiness set reports (a listener, a connection, a datagram socket).</summary>
internal interface IQemuWaiter
{
    void OnReady(IoInterest events, SwitchContext context);
}
