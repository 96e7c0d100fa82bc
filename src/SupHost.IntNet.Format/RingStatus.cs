namespace SupHost.IntNet.Format;

/// <summary>What a ring operation did. None of these is an exception: a ring the peer corrupted is an answer, not an error.</summary>
public enum RingStatus
{
    /// <summary>The frame was written, allocated, read or peeked.</summary>
    Success = 0,

    /// <summary>Reader: nothing is pending.</summary>
    Empty,

    /// <summary>Writer: the frame does not fit in the free space; nothing was written, and the ring's overflow counter went up.</summary>
    Overflow,

    /// <summary>
    /// The peer's shared state is invalid. Writer: the reader's published offset is outside the
    /// ring or misaligned, so the writer refuses to write rather than guess (nothing was written).
    /// Reader: an entry or the writer's published offset was invalid; what was pending was dropped
    /// (see <see cref="RingReader"/>), and the reader's bad-entry counter went up.
    /// </summary>
    Corrupt,

    /// <summary>Reader: the frame is longer than the destination; it stays pending, and the length says how long it is.</summary>
    DestinationTooSmall,
}
