using System.Buffers.Binary;
using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A capture of a network (CaptureStart): a buffer of the interface layout whose receive ring takes
/// one record per frame the switch handles (docs/intnet.md, "Capture"). A full ring loses the
/// record and counts it; the switch never waits for the reader.
/// </summary>
internal sealed class Capture(ISessionIdentity session, Network network, SharedBuffer buffer, int snapLength)
{
    /// <summary>The record's source for the trunk's wire end.</summary>
    public const uint WireEnd = 0;

    /// <summary>The record's source for the trunk's host end.</summary>
    public const uint HostEnd = 0xffffffff;

    public const int HeadSize = 16;

    public ISessionIdentity Session { get; } = session;

    public Network Network { get; } = network;

    public SharedBuffer Buffer { get; } = buffer;

    public int SnapLength { get; } = snapLength;

    public ulong ObjectHandle { get; set; }

    public ulong AllocationHandle { get; init; }

    public ulong EventHandle { get; init; }

    /// <summary>Writes a record of <paramref name="ethernet"/>: @0 u64 CLOCK_REALTIME ns, @8 u32 length on the wire, @12 u32 source, @16 the first snap-length bytes.</summary>
    public bool Record(ReadOnlySpan<byte> ethernet, uint source, SwitchContext context)
    {
        Span<byte> head = context.RecordHead;
        long now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        BinaryPrimitives.WriteInt64LittleEndian(head, now);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], ethernet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[12..], source);
        return Buffer.Write(head, ethernet[..Math.Min(ethernet.Length, SnapLength)], FrameType.Frame, context.Touched);
    }
}
