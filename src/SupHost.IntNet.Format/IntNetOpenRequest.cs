using System.Buffers.Binary;
using System.Text;

namespace SupHost.IntNet.Format;

/// <summary>
/// The OpenRequest that intnet's Open and NetCreate take (the original's INTNETOPENREQ without
/// its header and session), 216 bytes, little-endian (docs/intnet.md, "OpenRequest"): version @0,
/// flags @4 (<see cref="IntNetOpenFlags"/>), trunk type @8 (<see cref="IntNetTrunkType"/>),
/// receive ring size @12 and send ring size @16 (0 takes the default), reserved @20 (Open: bit 0
/// <see cref="NoGsoBit"/>; NetCreate: bit 31 <see cref="PersistentBit"/>), the network name @24
/// (128 bytes, UTF-8, NUL-terminated, 1 to 127 bytes), the trunk name @152 (64 bytes, 0 to 63).
/// The switch checks every field of what it receives; this type only writes requests.
/// </summary>
public static class IntNetOpenRequest
{
    /// <summary>The request's size in bytes.</summary>
    public const int Size = 216;

    /// <summary>The request version this format writes and the switch speaks.</summary>
    public const uint Version = 1;

    /// <summary>Offset of the flags word.</summary>
    public const int FlagsOffset = 4;

    /// <summary>Offset of the trunk type.</summary>
    public const int TrunkTypeOffset = 8;

    /// <summary>Offset of the receive ring size.</summary>
    public const int ReceiveSizeOffset = 12;

    /// <summary>Offset of the send ring size.</summary>
    public const int SendSizeOffset = 16;

    /// <summary>Offset of the reserved word.</summary>
    public const int ReservedOffset = 20;

    /// <summary>Offset of the network name field.</summary>
    public const int NetworkOffset = 24;

    /// <summary>Size of the network name field (a NUL-terminated name of at most one byte less).</summary>
    public const int NetworkFieldSize = 128;

    /// <summary>Offset of the trunk name field.</summary>
    public const int TrunkNameOffset = 152;

    /// <summary>Size of the trunk name field.</summary>
    public const int TrunkNameFieldSize = 64;

    /// <summary>The longest network name in UTF-8 bytes.</summary>
    public const int MaxNetworkBytes = NetworkFieldSize - 1;

    /// <summary>The longest trunk name in UTF-8 bytes.</summary>
    public const int MaxTrunkNameBytes = TrunkNameFieldSize - 1;

    /// <summary>Reserved bit 31, NetCreate only: the network outlives its last port until deleted.</summary>
    public const uint PersistentBit = 1u << 31;

    /// <summary>Reserved bit 0, Open only: the interface takes no GSO frames (the switch segments them for it).</summary>
    public const uint NoGsoBit = 1u << 0;

    /// <summary>
    /// Writes a request into <paramref name="destination"/> (at least <see cref="Size"/> bytes,
    /// all of which it writes). Names are checked for their byte length and for NULs here; ring
    /// sizes and flags are the switch's to check.
    /// </summary>
    /// <exception cref="ArgumentException">A name is too long, empty where it may not be, or holds a NUL; the destination is too small.</exception>
    public static void Write(Span<byte> destination, IntNetOpenFlags flags, IntNetTrunkType trunkType, uint receiveSize, uint sendSize, uint reserved, string network, string trunkName)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trunkName);
        if (destination.Length < Size)
        {
            throw new ArgumentException($"an OpenRequest is {Size} bytes; the destination holds {destination.Length}", nameof(destination));
        }

        Span<byte> request = destination[..Size];
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(request[FlagsOffset..], (uint)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(request[TrunkTypeOffset..], (uint)trunkType);
        BinaryPrimitives.WriteUInt32LittleEndian(request[ReceiveSizeOffset..], receiveSize);
        BinaryPrimitives.WriteUInt32LittleEndian(request[SendSizeOffset..], sendSize);
        BinaryPrimitives.WriteUInt32LittleEndian(request[ReservedOffset..], reserved);
        WriteName(request.Slice(NetworkOffset, NetworkFieldSize), network, 1, nameof(network));
        WriteName(request.Slice(TrunkNameOffset, TrunkNameFieldSize), trunkName, 0, nameof(trunkName));
    }

    private static void WriteName(Span<byte> field, string name, int min, string parameter)
    {
        int length = Encoding.UTF8.GetByteCount(name);
        if (length < min || length > field.Length - 1 || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is {length} bytes; {min} to {field.Length - 1} bytes without NUL are allowed", parameter);
        }

        Encoding.UTF8.GetBytes(name, field);
    }
}
