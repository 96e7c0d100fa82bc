using System.Buffers.Binary;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Frame contents a test can recompute from a sequence number and a length alone: the number
/// (as much of its 8 bytes as fits), then a slice of a fixed random pattern that depends on it.
/// </summary>
internal static class Frames
{
    private const int Spread = 8192;
    private static readonly byte[] s_pattern = MakePattern();

    public static byte[] Make(ulong sequence, int length)
    {
        byte[] frame = new byte[length];
        Fill(frame, sequence);
        return frame;
    }

    public static void Fill(Span<byte> frame, ulong sequence)
    {
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(number, sequence);
        int head = Math.Min(8, frame.Length);
        number[..head].CopyTo(frame);
        Tail(sequence, frame.Length).CopyTo(frame[head..]);
    }

    /// <summary>Whether <paramref name="frame"/> is exactly the frame numbered <paramref name="sequence"/> of its length.</summary>
    public static bool Matches(ReadOnlySpan<byte> frame, ulong sequence)
    {
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(number, sequence);
        int head = Math.Min(8, frame.Length);
        return frame[..head].SequenceEqual(number[..head]) && frame[head..].SequenceEqual(Tail(sequence, frame.Length));
    }

    /// <summary>A multiple of 8 at or above <paramref name="value"/>: every entry and frame in a ring is 8-aligned.</summary>
    public static int Round8(int value) => (value + 7) / 8 * 8;

    private static ReadOnlySpan<byte> Tail(ulong sequence, int length) =>
        s_pattern.AsSpan((int)(sequence * 2654435761UL % Spread), Math.Max(0, length - 8));

    private static byte[] MakePattern()
    {
        byte[] pattern = new byte[65536 + Spread];
        new Random(0x19110919).NextBytes(pattern);
        return pattern;
    }
}
