using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement sum of the data taken as big-endian
/// 16-bit words, and the pseudo-headers TCP and UDP add to it (RFC 793 / RFC 768 over IPv4,
/// RFC 8200 §8.1 over IPv6).
/// </summary>
/// <remarks>
/// A <em>sum</em> here is the folded, not yet complemented, one's complement sum as a number
/// (the value a big-endian reader sees); a checksum field receives <see cref="Complement"/> of
/// the sum of everything it covers. Sums of pieces combine with <see cref="Add(ushort, ushort)"/>
/// as long as each piece starts at an even offset of the covered bytes (see
/// <see cref="AddAtOffset"/> otherwise). The data is summed as native 64-bit words (RFC 1071 §2:
/// the sum does not depend on byte order, so the result is swapped once at the end), 64 bytes a
/// step with vector registers where the processor has them, carries kept in wide lanes and folded
/// once.
/// </remarks>
public static class Checksum
{
    /// <summary>
    /// Per-lane bound of the vector loop: each step adds at most 2 × 0xFFFF to a 32-bit lane of
    /// each accumulator, so 32,768 steps (64 bytes each, 2 MiB) cannot overflow one before the
    /// lanes are widened into the 64-bit total.
    /// </summary>
    private const int VectorStepsPerFlush = 32_768;

    /// <summary>Sums <paramref name="data"/> onto <paramref name="sum"/>.</summary>
    /// <param name="data">Bytes that start at an even offset of what the checksum covers; an odd
    /// last byte is padded with zero, as RFC 1071 does.</param>
    /// <param name="sum">A sum to continue (0 to start).</param>
    /// <returns>The folded sum, not complemented.</returns>
    public static ushort Sum(ReadOnlySpan<byte> data, ushort sum = 0)
    {
        ulong native = SumNative(ref MemoryMarshal.GetReference(data), (nuint)data.Length);
        return Add(sum, FromNative(native));
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> and sums the
    /// bytes on the way, in one pass: what segmentation does with each segment's payload.
    /// </summary>
    /// <param name="source">The bytes to copy and sum (starting at an even offset of what the
    /// checksum covers).</param>
    /// <param name="destination">At least as long as <paramref name="source"/>; must not overlap it.</param>
    /// <param name="sum">A sum to continue (0 to start).</param>
    /// <returns>The folded sum of the copied bytes added to <paramref name="sum"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static ushort CopyAndSum(ReadOnlySpan<byte> source, Span<byte> destination, ushort sum = 0)
    {
        if (destination.Length < source.Length)
        {
            GsoThrowHelper.ThrowDestinationTooShort(destination.Length, source.Length, nameof(destination));
        }

        ulong native = CopyAndSumNative(
            ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), (nuint)source.Length);
        return Add(sum, FromNative(native));
    }

    /// <summary>Adds two sums in one's complement arithmetic (with the end-around carry).</summary>
    /// <param name="left">A sum.</param>
    /// <param name="right">Another sum.</param>
    /// <returns>The folded sum of both.</returns>
    public static ushort Add(ushort left, ushort right)
    {
        uint total = (uint)left + right;
        return (ushort)((total & 0xFFFF) + (total >> 16));
    }

    /// <summary>
    /// Adds the sum of a piece that starts at <paramref name="offset"/> of the covered bytes: a
    /// piece at an odd offset has its bytes in the other halves of the 16-bit words, so its sum is
    /// byte-swapped first (RFC 1071 §2, "byte order independence").
    /// </summary>
    /// <param name="sum">The sum so far.</param>
    /// <param name="pieceSum">The sum of the piece, computed as if it started at an even offset.</param>
    /// <param name="offset">Where the piece starts within the covered bytes.</param>
    /// <returns>The folded sum of both.</returns>
    public static ushort AddAtOffset(ushort sum, ushort pieceSum, int offset) =>
        Add(sum, (offset & 1) == 0 ? pieceSum : BinaryPrimitives.ReverseEndianness(pieceSum));

    /// <summary>The value a checksum field receives: the one's complement of the sum.</summary>
    /// <param name="sum">The sum of everything the field covers (with the field itself as zero).</param>
    /// <returns><c>~sum</c>.</returns>
    public static ushort Complement(ushort sum) => (ushort)~sum;

    /// <summary>
    /// The sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): source and destination address,
    /// zero, protocol and the transport length.
    /// </summary>
    /// <param name="ipv4Header">The IPv4 header (at least 20 bytes; the addresses are at 12 and 16).</param>
    /// <param name="protocol">The transport protocol (6 TCP, 17 UDP).</param>
    /// <param name="transportLength">The length of the transport header and its payload.</param>
    /// <returns>The folded sum, not complemented.</returns>
    /// <exception cref="ArgumentException">The header is shorter than 20 bytes.</exception>
    public static ushort PseudoHeaderIPv4(ReadOnlySpan<byte> ipv4Header, byte protocol, int transportLength)
    {
        if (ipv4Header.Length < GsoHeaders.IPv4MinLength)
        {
            GsoThrowHelper.ThrowHeaderTooShort("IPv4", ipv4Header.Length, GsoHeaders.IPv4MinLength, nameof(ipv4Header));
        }

        return Add(Sum(ipv4Header.Slice(GsoHeaders.IPv4Source, 8)), LengthAndProtocol(protocol, transportLength));
    }

    /// <summary>
    /// The sum of the IPv6 pseudo-header (RFC 8200 §8.1): source and destination address, the
    /// 32-bit upper-layer length and the next header value of the transport (never that of an
    /// extension header).
    /// </summary>
    /// <param name="ipv6Header">The fixed IPv6 header (at least 40 bytes; the addresses are at 8 and 24).</param>
    /// <param name="protocol">The transport protocol (6 TCP, 17 UDP).</param>
    /// <param name="transportLength">The length of the transport header and its payload.</param>
    /// <returns>The folded sum, not complemented.</returns>
    /// <exception cref="ArgumentException">The header is shorter than 40 bytes.</exception>
    public static ushort PseudoHeaderIPv6(ReadOnlySpan<byte> ipv6Header, byte protocol, int transportLength)
    {
        if (ipv6Header.Length < GsoHeaders.IPv6Length)
        {
            GsoThrowHelper.ThrowHeaderTooShort("IPv6", ipv6Header.Length, GsoHeaders.IPv6Length, nameof(ipv6Header));
        }

        return Add(Sum(ipv6Header.Slice(GsoHeaders.IPv6Source, 32)), LengthAndProtocol(protocol, transportLength));
    }

    /// <summary>
    /// Computes the IPv4 header checksum (RFC 791 §3.1) over the whole header and stores it at
    /// offset 10.
    /// </summary>
    /// <param name="ipv4Header">The header, exactly as long as its IHL says (20 to 60 bytes).</param>
    /// <exception cref="ArgumentException">The header is shorter than 20 bytes.</exception>
    public static void SetIPv4HeaderChecksum(Span<byte> ipv4Header)
    {
        if (ipv4Header.Length < GsoHeaders.IPv4MinLength)
        {
            GsoThrowHelper.ThrowHeaderTooShort("IPv4", ipv4Header.Length, GsoHeaders.IPv4MinLength, nameof(ipv4Header));
        }

        BinaryPrimitives.WriteUInt16BigEndian(ipv4Header[GsoHeaders.IPv4Checksum..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ipv4Header[GsoHeaders.IPv4Checksum..], Complement(Sum(ipv4Header)));
    }

    /// <summary>
    /// Completes a partial checksum the way a device does for virtio's
    /// <c>VIRTIO_NET_HDR_F_NEEDS_CSUM</c> (and Linux for <c>CHECKSUM_PARTIAL</c>): the field at
    /// <c>start + offset</c> holds the pseudo-header sum; everything from <paramref name="start"/>
    /// to the end of the frame is summed with it and the complement stored there (0 stored as
    /// 0xFFFF, as Linux's <c>skb_checksum_help</c> does, which UDP needs and TCP accepts).
    /// </summary>
    /// <param name="frame">The frame, the caller's own copy.</param>
    /// <param name="start">Where checksumming starts (the transport header), from the frame start.</param>
    /// <param name="offset">Where the field is, from <paramref name="start"/> (16 for TCP, 6 for UDP).</param>
    /// <returns>False, with the frame untouched, when the field does not lie inside the frame.</returns>
    public static bool TryCompletePartial(Span<byte> frame, int start, int offset)
    {
        // Validate: both numbers come from a header a peer wrote.
        if (start < 0 || offset < 0 || start >= frame.Length || offset > frame.Length - start - 2)
        {
            return false;
        }

        ushort folded = Complement(Sum(frame[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(frame[(start + offset)..], folded == 0 ? (ushort)0xFFFF : folded);
        return true;
    }

    /// <summary>The length and protocol words of a pseudo-header, summed.</summary>
    private static ushort LengthAndProtocol(byte protocol, int transportLength)
    {
        uint length = (uint)transportLength;
        return Add(Add((ushort)(length >> 16), (ushort)length), protocol);
    }

    /// <summary>Folds a 64-bit native-order accumulator and turns it into the big-endian sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort FromNative(ulong native)
    {
        ulong folded = (native & 0xFFFF_FFFF) + (native >> 32);
        folded = (folded & 0xFFFF_FFFF) + (folded >> 32);
        folded = (folded & 0xFFFF) + (folded >> 16);
        folded = (folded & 0xFFFF) + (folded >> 16);
        folded = (folded & 0xFFFF) + (folded >> 16);
        ushort sum = (ushort)folded;
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(sum) : sum;
    }

    /// <summary>Adds two 64-bit one's complement accumulators (end-around carry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddCarry(ulong accumulator, ulong value)
    {
        ulong total = accumulator + value;
        return total + (total < value ? 1UL : 0UL);
    }

    /// <summary>The unfolded sum of native 16-bit words (an odd last byte as the low half).</summary>
    private static ulong SumNative(ref byte source, nuint length)
    {
        nuint at = 0;
        ulong total = 0;
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            Vector256<uint> low = Vector256.Create(0xFFFFu);
            while (length - at >= 64)
            {
                nuint end = at + Math.Min((length - at) & ~(nuint)63, (nuint)VectorStepsPerFlush * 64);
                Vector256<uint> a = Vector256<uint>.Zero;
                Vector256<uint> b = Vector256<uint>.Zero;
                for (; at < end; at += 64)
                {
                    Vector256<uint> x = Vector256.LoadUnsafe(ref source, at).AsUInt32();
                    Vector256<uint> y = Vector256.LoadUnsafe(ref source, at + 32).AsUInt32();
                    a += (x & low) + (x >> 16);
                    b += (y & low) + (y >> 16);
                }

                total += WidenSum(a) + WidenSum(b);
            }
        }

        return AddCarry(total, SumTail(ref source, at, length));
    }

    /// <summary><see cref="SumNative"/> that also stores each loaded block at the destination.</summary>
    private static ulong CopyAndSumNative(ref byte source, ref byte destination, nuint length)
    {
        nuint at = 0;
        ulong total = 0;
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            Vector256<uint> low = Vector256.Create(0xFFFFu);
            while (length - at >= 64)
            {
                nuint end = at + Math.Min((length - at) & ~(nuint)63, (nuint)VectorStepsPerFlush * 64);
                Vector256<uint> a = Vector256<uint>.Zero;
                Vector256<uint> b = Vector256<uint>.Zero;
                for (; at < end; at += 64)
                {
                    Vector256<byte> x = Vector256.LoadUnsafe(ref source, at);
                    Vector256<byte> y = Vector256.LoadUnsafe(ref source, at + 32);
                    x.StoreUnsafe(ref destination, at);
                    y.StoreUnsafe(ref destination, at + 32);
                    Vector256<uint> xw = x.AsUInt32();
                    Vector256<uint> yw = y.AsUInt32();
                    a += (xw & low) + (xw >> 16);
                    b += (yw & low) + (yw >> 16);
                }

                total += WidenSum(a) + WidenSum(b);
            }
        }

        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref destination, at), ref Unsafe.Add(ref source, at), (uint)(length - at));
        return AddCarry(total, SumTail(ref source, at, length));
    }

    /// <summary>Adds the eight 32-bit lanes as 64-bit numbers (no lane can overflow the total).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WidenSum(Vector256<uint> lanes)
    {
        (Vector256<ulong> lower, Vector256<ulong> upper) = Vector256.Widen(lanes);
        return Vector256.Sum(lower + upper);
    }

    /// <summary>The scalar loop: 32 bytes a step in four carry chains, then 8, 4, 2 and 1 bytes.</summary>
    private static ulong SumTail(ref byte source, nuint at, nuint length)
    {
        ulong s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (; length - at >= 32; at += 32)
        {
            s0 = AddCarry(s0, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, at)));
            s1 = AddCarry(s1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, at + 8)));
            s2 = AddCarry(s2, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, at + 16)));
            s3 = AddCarry(s3, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, at + 24)));
        }

        for (; length - at >= 8; at += 8)
        {
            s0 = AddCarry(s0, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, at)));
        }

        if (length - at >= 4)
        {
            s1 = AddCarry(s1, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, at)));
            at += 4;
        }

        if (length - at >= 2)
        {
            s2 = AddCarry(s2, Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref source, at)));
            at += 2;
        }

        if (length - at == 1)
        {
            // RFC 1071: an odd last byte is the high half of a word padded with zero; in native
            // (little-endian) order that is the low half.
            ulong last = Unsafe.Add(ref source, at);
            s3 = AddCarry(s3, BitConverter.IsLittleEndian ? last : last << 8);
        }

        return AddCarry(AddCarry(s0, s1), AddCarry(s2, s3));
    }
}
