namespace SupHost.IntNet.Format;

/// <summary>
/// An interface buffer's geometry (INTNETBUF): its size and its two rings. Made by
/// <see cref="IntNetBuffer.Layout"/> (the creator's sizes, rounded) or by
/// <see cref="IntNetBuffer.TryValidateHeader"/> (read once from a buffer someone else made).
/// </summary>
/// <param name="Size">cbBuf: the header, the receive data and the send data, in bytes.</param>
/// <param name="Receive">The receive ring (the switch writes, the client reads).</param>
/// <param name="Send">The send ring (the client writes, the switch reads).</param>
public readonly record struct BufferLayout(int Size, RingLayout Receive, RingLayout Send);
