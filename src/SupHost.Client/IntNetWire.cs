using System.Text;
using SupHost.IntNet.Format;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>The intnet module's request and reply layouts (docs/intnet.md, "Opening an interface"), little-endian.</summary>
internal static class IntNetWire
{
    public const string ModuleName = "intnet";

    /// <summary>OpenRequest (216 bytes, <see cref="IntNetOpenRequest"/>).</summary>
    public const int OpenRequestSize = IntNetOpenRequest.Size;

    /// <summary>OpenReply (40 bytes, <see cref="IntNetOpenReply"/>).</summary>
    public const int OpenReplySize = IntNetOpenReply.Size;

    /// <summary>CaptureReply: handle @0, buffer bytes @8, reserved @12.</summary>
    public const int CaptureReplySize = 16;

    public const int MaxNetworkBytes = IntNetOpenRequest.MaxNetworkBytes;
    public const int MaxTrunkBytes = IntNetOpenRequest.MaxTrunkNameBytes;

    /// <summary>The doorbell words of the buffer's header (<see cref="IntNetBuffer"/>).</summary>
    public const int SwitchStateOffset = IntNetBuffer.SwitchStateOffset;
    public const int SleepingOffset = IntNetBuffer.SleepingOffset;
    public const int InterfaceStateOffset = IntNetBuffer.InterfaceStateOffset;
    public const int MacOffset = IntNetBuffer.MacOffset;
    public const uint Draining = IntNetBuffer.SwitchDraining;
    public const uint Closed = IntNetBuffer.SwitchClosed;
    public const uint WaitsAborted = IntNetBuffer.SwitchWaitsAborted;
    public const uint StateActive = IntNetBuffer.InterfaceActive;
    public const uint StatePromiscuous = IntNetBuffer.InterfacePromiscuous;
    public const uint StateMacSet = IntNetBuffer.InterfaceMacSet;

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

        CheckName(options.Network, 1, MaxNetworkBytes, "network name");
        CheckName(options.TrunkName ?? string.Empty, 0, MaxTrunkBytes, "trunk name");
        uint reserved = create ? (persistent ? IntNetOpenRequest.PersistentBit : 0) : (options.AcceptGso ? 0 : IntNetOpenRequest.NoGsoBit);
        byte[] request = new byte[OpenRequestSize];
        IntNetOpenRequest.Write(request, options.Flags, options.TrunkType, (uint)options.ReceiveRingSize, (uint)options.SendRingSize, reserved, options.Network, options.TrunkName ?? string.Empty);
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

    /// <summary>A name the request cannot carry is the caller's error, InvalidName, before anything is sent.</summary>
    private static void CheckName(string name, int min, int max, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        int length = Encoding.UTF8.GetByteCount(name);
        if (length < min || length > max || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new SupException(SupStatus.InvalidName, $"{what} '{name}' is {length} bytes; {min} to {max} bytes without NUL are allowed");
        }
    }
}
