namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// What a module left for the daemon to undo when it unloaded, counted as the daemon undid it: an
/// in-process host (SupHost.ModuleTesting) reports these as the module's leftovers and leaks.
/// </summary>
/// <param name="Module">The module's name.</param>
internal sealed record ModuleLeftovers(string Module)
{
    /// <summary>Workers still running when the unload's join gave up (their names).</summary>
    public IReadOnlyList<string> WorkersNotStopped { get; init; } = [];

    /// <summary>What Terminate threw, or null.</summary>
    public string? TerminateFailure { get; init; }

    /// <summary>References the module held itself (<c>host.Identity</c>), released after Terminate.</summary>
    public int OwnObjects { get; init; }

    /// <summary>Timers it did not dispose, stopped by the daemon.</summary>
    public int Timers { get; init; }

    /// <summary>Memory leases it did not dispose, ended by the daemon.</summary>
    public int Leases { get; init; }

    /// <summary>I/O handles it did not close, closed by the daemon.</summary>
    public int IoHandles { get; init; }

    /// <summary>Readiness sets it did not close, closed by the daemon.</summary>
    public int ReadinessSets { get; init; }

    /// <summary>Component factories it did not deregister, deregistered by the daemon.</summary>
    public int Factories { get; init; }
}
