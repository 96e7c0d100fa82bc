namespace SupHost.Native;

/// <summary>Flags for <see cref="Libc.ReceiveMessage(SafeFd, byte*, int, ICollection{SafeFd}?, ReceiveOptions)"/> (recv(2)).</summary>
[Flags]
public enum ReceiveOptions
{
    /// <summary>A plain blocking receive that takes the message.</summary>
    None = 0,

    /// <summary>MSG_PEEK: leave the message queued (descriptors are not received: no control space is given).</summary>
    Peek = 1,

    /// <summary>MSG_DONTWAIT: fail with EAGAIN instead of blocking.</summary>
    DontWait = 2,
}
