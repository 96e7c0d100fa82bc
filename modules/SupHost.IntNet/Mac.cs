using System.Buffers.Binary;

namespace SupHost.IntNet;

/// <summary>Ethernet addresses as 48-bit numbers (the first byte the most significant), for comparing them in one step.</summary>
internal static class Mac
{
    /// <summary>ff:ff:ff:ff:ff:ff: the broadcast address, and the "no MAC yet" of a new interface.</summary>
    public const ulong Dummy = 0xffff_ffff_ffff;

    /// <summary>The address in the first six bytes of <paramref name="bytes"/>.</summary>
    public static ulong Read(ReadOnlySpan<byte> bytes) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);

    /// <summary>Writes <paramref name="mac"/> into the first six bytes of <paramref name="bytes"/>.</summary>
    public static void Write(ulong mac, Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(bytes[2..], (uint)mac);
    }

    /// <summary>Whether <paramref name="mac"/> is a group address (multicast or broadcast: bit 0 of the first byte).</summary>
    public static bool IsMulticast(ulong mac) => ((mac >> 40) & 1) != 0;

    /// <summary>"aa:bb:cc:dd:ee:ff".</summary>
    public static string Format(ulong mac)
    {
        Span<byte> bytes = stackalloc byte[6];
        Write(mac, bytes);
        return string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
