namespace SupHost.Native;

/// <summary>What one <see cref="Libc.ReceiveMessage"/> got.</summary>
/// <param name="Length">The message's real length (0 with no error: the peer closed).</param>
/// <param name="Error">The errno when the receive failed, else <see cref="Errno.None"/>.</param>
/// <param name="Truncated">The message was longer than the buffer (MSG_TRUNC).</param>
/// <param name="ControlTruncated">Descriptors were dropped for lack of control space (MSG_CTRUNC).</param>
public readonly record struct ReceiveResult(int Length, Errno Error, bool Truncated, bool ControlTruncated);
