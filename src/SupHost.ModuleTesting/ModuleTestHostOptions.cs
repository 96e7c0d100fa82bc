using Microsoft.Extensions.Logging;

namespace SupHost.ModuleTesting;

/// <summary>How a <see cref="ModuleTestHost"/> hosts its module; the defaults are the daemon's.</summary>
public sealed class ModuleTestHostOptions
{
    /// <summary>
    /// The name the module is hosted under (1 to 31 characters of [A-Za-z0-9._-]). By default the
    /// name its assembly's <c>[assembly: SupModule]</c> gives its type; a module class without one
    /// (a small module inside a test project) must be given a name here.
    /// </summary>
    public string? ModuleName { get; init; }

    /// <summary>Where log lines go besides <see cref="ModuleTestHost.Log"/>; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// How long ending a session waits for its running call to return once it is cancelled
    /// (<c>Supd:CancelGraceSeconds</c>, 0 to 600 s); 5 s.
    /// </summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the unload waits for the module's workers to return (<c>Supd:UnloadTimeoutSeconds</c>); 10 s.</summary>
    public TimeSpan UnloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A call running longer is logged and counted as slow (<c>Supd:SlowCallMilliseconds</c>); 1 s.</summary>
    public TimeSpan SlowCallThreshold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Descriptors (allocations, events, those in calls) one session may make the daemon hold (<c>Supd:MaxDescriptorsPerSession</c>); 1024.</summary>
    public long MaxDescriptorsPerSession { get; init; } = 1024;

    /// <summary>Shared pages one session may hold (<c>Supd:MaxPagesPerSession</c>); 131072.</summary>
    public long MaxPagesPerSession { get; init; } = 131072;

    /// <summary>
    /// What the module's <c>Settings.GetValue</c> answers, as the daemon's Supd:Modules:&lt;module name&gt;
    /// section would (keys compared without regard to case); none by default.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }
}
