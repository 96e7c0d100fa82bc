namespace SupHost.Protocol;

/// <summary>One module in <see cref="SupFunction.ListModules"/>.</summary>
public sealed record ModuleInfo
{
    /// <summary>The module's name.</summary>
    public required string Name { get; init; }

    /// <summary>The module assembly's version.</summary>
    public required string Version { get; init; }

    /// <summary>The Abi version it was built against, "major.minor".</summary>
    public required string AbiVersion { get; init; }

    /// <summary>The module file.</summary>
    public required string Path { get; init; }

    /// <summary>"opened", "loaded", "faulted" (loaded, but code of its own threw outside a call: see <see cref="Fault"/>), "unloading" (waiting for its load context to be collected) or "stuck" (not collected).</summary>
    public required string State { get; init; }

    /// <summary>References by session (session 0 is the daemon's pin).</summary>
    public required IReadOnlyList<ObjectUsageInfo> References { get; init; }

    /// <summary>Exported entry points (once loaded).</summary>
    public required IReadOnlyList<string> Symbols { get; init; }

    /// <summary>Answers service requests.</summary>
    public required bool Service { get; init; }

    /// <summary>Live objects whose destructor is the module's: they keep it loaded.</summary>
    public required int Objects { get; init; }

    /// <summary>Factories it registered.</summary>
    public required int Factories { get; init; }

    /// <summary>Times its init ran (successfully or not) in this load.</summary>
    public required int InitCalls { get; init; }

    /// <summary>Times its term ran in this load.</summary>
    public required int TermCalls { get; init; }

    /// <summary>Entry point and service calls.</summary>
    public required long Calls { get; init; }

    /// <summary>Calls that threw.</summary>
    public required long FailedCalls { get; init; }

    /// <summary>Calls that took longer than the configured limit.</summary>
    public required long SlowCalls { get; init; }

    /// <summary>The last slow call: symbol and duration.</summary>
    public string? LastSlowCall { get; init; }

    /// <summary>When it is faulted: what threw (a worker, a timer callback, a thread of its own), the exception and when.</summary>
    public string? Fault { get; init; }

    /// <summary>Exceptions of its own code outside calls in this load (the first one faulted it).</summary>
    public long Faults { get; init; }

    /// <summary>Why it is not unloaded yet, when it is unloading or stuck.</summary>
    public string? HeldBy { get; init; }
}
