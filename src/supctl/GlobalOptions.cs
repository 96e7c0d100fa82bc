using System.CommandLine;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl;

/// <summary>Options every verb takes.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> RunDir = new("--run-dir")
    {
        Description = $"The daemon's run directory (default: ${ProtocolConstants.RunDirectoryVariable}, then /run/suphost as root or $XDG_RUNTIME_DIR/suphost).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON (stable field names) instead of a table.",
        Recursive = true,
    };

    public static SupClientOptions ClientOptions(ParseResult parse, SupEndpoint endpoint = SupEndpoint.Full) => new()
    {
        RunDirectory = parse.GetValue(RunDir),
        Endpoint = endpoint,
        Timeout = TimeSpan.FromSeconds(10),
    };
}
