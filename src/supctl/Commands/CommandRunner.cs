using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary>The shared shape of a verb: connect, ask, print JSON or a table, map failures to exit codes.</summary>
internal static class CommandRunner
{
    private static readonly JsonSerializerOptions s_indented = new(ListingJsonContext.Default.Options) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(ParseResult parse, Func<SupClient, CancellationToken, Task<int>> body, CancellationToken cancellationToken, SupEndpoint endpoint = SupEndpoint.Full)
    {
        try
        {
            using SupClient client = await SupClient.ConnectAsync(GlobalOptions.ClientOptions(parse, endpoint), cancellationToken).ConfigureAwait(false);
            return await body(client, cancellationToken).ConfigureAwait(false);
        }
        catch (SupException ex)
        {
            await Console.Error.WriteLineAsync($"supctl: {ex.Message} ({ex.Status}, {(int)ex.Status})").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    /// <summary>Prints <paramref name="value"/> as indented JSON with --json, else as <paramref name="table"/> renders it.</summary>
    public static async Task<int> PrintAsync<T>(ParseResult parse, T value, Func<T, string> table)
    {
        string text = parse.GetValue(GlobalOptions.Json)
            ? JsonSerializer.Serialize(value, (JsonTypeInfo<T>)s_indented.GetTypeInfo(typeof(T))) + Environment.NewLine
            : table(value);
        await Console.Out.WriteAsync(text).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
