namespace SupHost.Abi;

/// <summary>One descriptor a <see cref="IModuleReadiness.Wait"/> found ready: the token it was added with, and what it is ready for.</summary>
public readonly struct IoReady
{
    /// <summary>Creates an entry.</summary>
    public IoReady(ulong token, IoInterest events)
    {
        Token = token;
        Events = events;
    }

    /// <summary>The token given to <see cref="IModuleReadiness.Add"/>.</summary>
    public ulong Token { get; }

    /// <summary>What the descriptor is ready for.</summary>
    public IoInterest Events { get; }
}
