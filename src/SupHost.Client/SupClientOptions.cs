using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>How to reach the daemon.</summary>
public sealed class SupClientOptions
{
    /// <summary>The run directory; null means $SUPHOST_RUN_DIR, then the daemon's default.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The endpoint.</summary>
    public SupEndpoint Endpoint { get; init; } = SupEndpoint.Full;

    /// <summary>How long to wait for a reply before failing with <see cref="SupStatus.Timeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The interface version asked for in the handshake (major &lt;&lt; 16 | minor); tests change it.</summary>
    public uint RequestedVersion { get; init; } = ProtocolConstants.Version;

    /// <summary>
    /// The run directory these options resolve to: <see cref="RunDirectory"/>, else $SUPHOST_RUN_DIR,
    /// else /run/suphost for root and $XDG_RUNTIME_DIR/suphost for others (as the daemon decides).
    /// </summary>
    public string ResolveRunDirectory()
    {
        if (!string.IsNullOrEmpty(RunDirectory))
        {
            return RunDirectory;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(ProtocolConstants.RunDirectoryVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        return ProtocolConstants.DefaultRunDirectory(Libc.EffectiveUserId);
    }

    /// <summary>The socket path these options resolve to.</summary>
    public string ResolveSocketPath() => Path.Combine(
        ResolveRunDirectory(),
        Endpoint == SupEndpoint.Full ? ProtocolConstants.FullSocketName : ProtocolConstants.RestrictedSocketName);
}
