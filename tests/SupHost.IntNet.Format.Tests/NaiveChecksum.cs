namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// RFC 1071 the slow, obvious way, written apart from the library: big-endian 16-bit words taken
/// one byte at a time into a wide integer, folded at the end. The oracle for the fast paths.
/// </summary>
internal static class NaiveChecksum
{
    /// <summary>The folded sum of one byte sequence, an odd last byte padded with zero.</summary>
    public static ushort Sum(ReadOnlySpan<byte> data)
    {
        long total = 0;
        for (int i = 0; i < data.Length; i++)
        {
            total += i % 2 == 0 ? data[i] << 8 : data[i];
        }

        while (total > 0xFFFF)
        {
            total = (total & 0xFFFF) + (total >> 16);
        }

        return (ushort)total;
    }

    /// <summary>
    /// The sum of a pseudo-header laid out byte by byte (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6)
    /// followed by the transport bytes as they are, checksum field included: all ones when the
    /// field is right (whichever of its two representations of zero a sender chose).
    /// </summary>
    public static ushort PseudoAndTransport(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, ReadOnlySpan<byte> transport)
    {
        var bytes = new List<byte>();
        bytes.AddRange(source.ToArray());
        bytes.AddRange(destination.ToArray());
        int length = transport.Length;
        if (source.Length == 4)
        {
            bytes.AddRange([0, protocol, (byte)(length >> 8), (byte)length]);
        }
        else
        {
            bytes.AddRange([(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, protocol]);
        }

        bytes.AddRange(transport.ToArray());
        return Sum(bytes.ToArray());
    }

    /// <summary>Whether an IPv4 header sums to all ones with its checksum in place.</summary>
    public static bool IPv4HeaderValid(ReadOnlySpan<byte> header) => Sum(header) == 0xFFFF;
}
