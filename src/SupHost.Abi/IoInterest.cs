namespace SupHost.Abi;

/// <summary>What a readiness set watches a descriptor for, and what it reports (epoll(7)'s events).</summary>
[Flags]
public enum IoInterest
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Data to read, a connection to accept, an event signalled, or the end of the stream.</summary>
    Readable = 1,

    /// <summary>Room to write.</summary>
    Writable = 2,

    /// <summary>Reported only: an error is pending on the descriptor.</summary>
    Error = 4,

    /// <summary>Reported only: the peer closed (its side or both).</summary>
    HangUp = 8,
}
