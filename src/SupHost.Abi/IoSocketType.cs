namespace SupHost.Abi;

/// <summary>The type of a Unix socket a module makes.</summary>
public enum IoSocketType
{
    /// <summary>Not a type.</summary>
    Invalid = 0,

    /// <summary>SOCK_STREAM: a byte stream (QEMU's <c>-netdev stream</c>).</summary>
    Stream = 1,

    /// <summary>SOCK_DGRAM: one message per datagram (QEMU's <c>-netdev dgram</c>).</summary>
    Datagram = 2,
}
