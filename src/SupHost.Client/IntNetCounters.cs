namespace SupHost.Client;

/// <summary>
/// An interface's counters as this process sees them: what its rings moved (kept by this side's
/// ring writer and reader), the doorbell work the protocol did, and the buffer counters the switch
/// published (lost, bad frames, yields).
/// </summary>
public sealed class IntNetCounters
{
    /// <summary>Frames committed into the send ring.</summary>
    public ulong FramesSent { get; internal init; }

    /// <summary>Frame bytes committed into the send ring.</summary>
    public ulong BytesSent { get; internal init; }

    /// <summary>Frames the send ring refused because it was full at the time (a later retry may have sent them).</summary>
    public ulong SendOverflows { get; internal init; }

    /// <summary>Times a send rang the send doorbell (a system call) because the switch was not draining.</summary>
    public ulong SendDoorbells { get; internal init; }

    /// <summary>Frames read from the receive ring.</summary>
    public ulong FramesReceived { get; internal init; }

    /// <summary>Frame bytes read from the receive ring.</summary>
    public ulong BytesReceived { get; internal init; }

    /// <summary>Bad entries the reader found in the receive ring (dropped).</summary>
    public ulong BadEntries { get; internal init; }

    /// <summary>Times a receive or wait found the ring empty and slept on the receive doorbell.</summary>
    public ulong ReceiveSleeps { get; internal init; }

    /// <summary>Frames the switch could not put into the receive ring (the switch's counter).</summary>
    public ulong Lost { get; internal init; }

    /// <summary>Bad entries the switch found in the send ring (the switch's counter).</summary>
    public ulong BadFrames { get; internal init; }

    /// <summary>Deliveries into a full receive ring that succeeded after the switch yielded.</summary>
    public ulong YieldsOk { get; internal init; }

    /// <summary>Deliveries that still failed after the switch yielded.</summary>
    public ulong YieldsNotOk { get; internal init; }
}
