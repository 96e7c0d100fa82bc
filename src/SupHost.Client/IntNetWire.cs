using System.Buffers.Binary;
using System.Text;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>The intnet module's request and reply layouts (docs/intnet.md, "Opening an interface"), little-endian.</summary>
internal static class IntNetWire
{
    public const string ModuleName = "intnet";

    /// <summary>OpenRequest: version @0, flags @4, trunk type @8, receive ring @12, send ring @16, reserved @20, network @24 (128), trunk @152 (64).</summary>
    public const int OpenRequestSize = 216;

    /// <summary>OpenReply: handle @0, created @8, buffer bytes @12, allocation @16, receive doorbell @24, send doorbell @32.</summary>
    public const int OpenReplySize = 40;

    /// <summary>CaptureReply: handle @0, buffer bytes @8, reserved @12.</summary>
    public const int CaptureReplySize = 16;

    public const uint RequestVersion = 1;
    public const uint PersistentBit = 1u << 31;

    /// <summary>Open's reserved bit 0: the interface takes no GSO frames.</summary>
    public const uint NoGsoBit = 1u << 0;
    public const int NetworkFieldSize = 128;
    public const int TrunkFieldSize = 64;
    public const int MaxNetworkBytes = 127;
    public const int MaxTrunkBytes = 63;

    /// <summary>Word 144 (switch): the switch is draining the send ring; the interface is closed; waits are aborted.</summary>
    public const int SwitchStateOffset = 144;

    /// <summary>Word 148 (client): non-zero while the client is (about to be) asleep on the receive doorbell.</summary>
    public const int SleepingOffset = 148;

    /// <summary>Word 152 (switch): active, promiscuous, MAC set.</summary>
    public const int InterfaceStateOffset = 152;

    /// <summary>The interface's MAC (switch), 6 bytes.</summary>
    public const int MacOffset = 160;

    public const uint Draining = 1u << 0;
    public const uint Closed = 1u << 1;
    public const uint WaitsAborted = 1u << 2;

    public const uint StateActive = 1u << 0;
    public const uint StatePromiscuous = 1u << 1;
    public const uint StateMacSet = 1u << 2;

    /// <summary>The largest listing a module call returns (the spec's 1 MiB, within the default request limit).</summary>
    public const int MaxListing = ProtocolConstants.DefaultMaxRequestSize - ProtocolConstants.HeaderSize;

    /// <summary>An OpenRequest: for Open (<paramref name="create"/> false: reserved bit 0 when the options take no GSO) or NetCreate (bit 31 when persistent).</summary>
    public static byte[] OpenRequest(IntNetOpenOptions options, bool persistent, bool create = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ReceiveRingSize < 0 || options.SendRingSize < 0)
        {
            throw new ArgumentException($"ring sizes cannot be negative (receive {options.ReceiveRingSize}, send {options.SendRingSize})", nameof(options));
        }

        byte[] request = new byte[OpenRequestSize];
        BinaryPrimitives.WriteUInt32LittleEndian(request, RequestVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), (uint)options.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), (uint)options.TrunkType);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(12), (uint)options.ReceiveRingSize);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(16), (uint)options.SendRingSize);
        uint reserved = create ? (persistent ? PersistentBit : 0) : (options.AcceptGso ? 0 : NoGsoBit);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(20), reserved);
        WriteName(request.AsSpan(24, NetworkFieldSize), options.Network, 1, MaxNetworkBytes, "network name");
        WriteName(request.AsSpan(152, TrunkFieldSize), options.TrunkName ?? string.Empty, 0, MaxTrunkBytes, "trunk name");
        return request;
    }

    /// <summary>A network name as NetDelete, NetShow and CaptureStart take it: its UTF-8 bytes.</summary>
    public static byte[] NetworkName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length is < 1 or > MaxNetworkBytes || bytes.Contains((byte)0))
        {
            throw new SupException(SupStatus.InvalidName, $"network name '{name}' is {bytes.Length} bytes{(bytes.Contains((byte)0) ? " with a NUL" : string.Empty)}; 1 to {MaxNetworkBytes} bytes without NUL are allowed");
        }

        return bytes;
    }

    private static void WriteName(Span<byte> field, string name, int min, int max, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        int length = Encoding.UTF8.GetByteCount(name);
        if (length < min || length > max || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new SupException(SupStatus.InvalidName, $"{what} '{name}' is {length} bytes; {min} to {max} bytes without NUL are allowed");
        }

        Encoding.UTF8.GetBytes(name, field);
    }
}
