using System.Buffers.Binary;
using System.Text;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// An open (and a NetCreate) as the client sent it: the original's INTNETOPENREQ without header and
/// session, 216 bytes (docs/intnet.md, "OpenRequest"). Parsed once from the call's input, every field checked.
/// </summary>
internal sealed record OpenRequest(OpenFlags Flags, TrunkType Trunk, int ReceiveSize, int SendSize, bool Persistent, string Network, string TrunkName, bool NoGso = false)
{
    public const int Size = IntNetOpenRequest.Size;
    public const uint Version = IntNetOpenRequest.Version;
    public const int DefaultReceiveSize = 325_632;
    public const int DefaultSendSize = 196_608;
    public const uint PersistentBit = IntNetOpenRequest.PersistentBit;

    /// <summary>Open's reserved bit 0: the interface takes no GSO frames (the switch segments them for it).</summary>
    public const uint NoGsoBit = IntNetOpenRequest.NoGsoBit;
    private const int NameOffset = IntNetOpenRequest.NetworkOffset;
    private const int NameField = IntNetOpenRequest.NetworkFieldSize;
    private const int TrunkOffset = IntNetOpenRequest.TrunkNameOffset;
    private const int TrunkField = IntNetOpenRequest.TrunkNameFieldSize;

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses <paramref name="input"/>; null and the request, or the status and why not.</summary>
    public static (int Status, string Message)? TryParse(ReadOnlySpan<byte> input, bool create, int maxRingSize, out OpenRequest? request)
    {
        request = null;
        if (input.Length != Size)
        {
            return (-2, $"the request is {input.Length} bytes; an OpenRequest is {Size}");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(input);
        if (version != Version)
        {
            return (-2, $"request version {version}; this switch speaks {Version}");
        }

        var flags = (OpenFlags)BinaryPrimitives.ReadUInt32LittleEndian(input[IntNetOpenRequest.FlagsOffset..]);
        if (Policy.Validate(flags) is string badFlags)
        {
            return (-2, badFlags);
        }

        uint trunkValue = BinaryPrimitives.ReadUInt32LittleEndian(input[IntNetOpenRequest.TrunkTypeOffset..]);
        if (trunkValue is < (uint)TrunkType.None or > (uint)TrunkType.SrvNat)
        {
            return (-2, $"trunk type {trunkValue} is not one of 1 (None) to 5 (SrvNat)");
        }

        var trunk = (TrunkType)trunkValue;
        if (RingSize(BinaryPrimitives.ReadUInt32LittleEndian(input[IntNetOpenRequest.ReceiveSizeOffset..]), DefaultReceiveSize, maxRingSize, "receive", out int receive) is string badReceive && !create)
        {
            return (-2, badReceive);
        }

        if (RingSize(BinaryPrimitives.ReadUInt32LittleEndian(input[IntNetOpenRequest.SendSizeOffset..]), DefaultSendSize, maxRingSize, "send", out int send) is string badSend && !create)
        {
            return (-2, badSend);
        }

        uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(input[IntNetOpenRequest.ReservedOffset..]);
        uint allowed = create ? PersistentBit : NoGsoBit;
        if ((reserved & ~allowed) != 0)
        {
            return (-2, $"reserved is 0x{reserved:x8}; {(create ? "only bit 31 (persistent) may be set" : "only bit 0 (no GSO) may be set")}");
        }

        if (Name(input.Slice(NameOffset, NameField), "network name", 1, out string? network) is string badName)
        {
            return (-22, badName);
        }

        if (Name(input.Slice(TrunkOffset, TrunkField), "trunk name", 0, out string? trunkName) is string badTrunk)
        {
            return (-22, badTrunk);
        }

        bool needsName = trunk is TrunkType.NetFlt or TrunkType.NetAdp;
        if (needsName && trunkName!.Length == 0)
        {
            return (-2, $"trunk type {trunk} needs a trunk name");
        }

        if (!needsName && trunkName!.Length != 0)
        {
            return (-2, $"trunk type {trunk} takes no trunk name, and the request names '{trunkName}'");
        }

        request = new OpenRequest(flags, trunk, receive, send, create && (reserved & PersistentBit) != 0, network!, trunkName!, !create && (reserved & NoGsoBit) != 0);
        return null;
    }

    /// <summary>Writes a request (for tests and the listings' round trips).</summary>
    public static byte[] Encode(OpenFlags flags, TrunkType trunk, string network, string trunkName = "", int receive = 0, int send = 0, uint reserved = 0)
    {
        byte[] bytes = new byte[Size];
        IntNetOpenRequest.Write(bytes, flags, trunk, (uint)receive, (uint)send, reserved, network, trunkName);
        return bytes;
    }

    private static string? RingSize(uint requested, int fallback, int max, string which, out int size)
    {
        if (requested == 0)
        {
            size = Math.Min(fallback, max);
            return null;
        }

        if (requested > (uint)max)
        {
            size = 0;
            return $"the {which} ring of {requested} bytes exceeds the limit {max}";
        }

        size = Math.Max(32, (int)((requested + 7) & ~7u));
        return null;
    }

    private static string? Name(ReadOnlySpan<byte> field, string what, int min, out string? name)
    {
        name = null;
        int length = field.IndexOf((byte)0);
        if (length < 0)
        {
            return $"the {what} fills its {field.Length} bytes without a NUL; 0 to {field.Length - 1} bytes are allowed";
        }

        if (length < min)
        {
            return $"the {what} is 0 bytes; {min} to {field.Length - 1} are allowed";
        }

        try
        {
            name = s_strict.GetString(field[..length]);
        }
        catch (DecoderFallbackException)
        {
            return $"the {what} is not valid UTF-8";
        }

        return null;
    }
}
