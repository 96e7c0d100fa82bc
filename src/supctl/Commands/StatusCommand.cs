using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl status</c>: version, uptime, sessions, objects by type, factories.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show the daemon's version, uptime, sessions, objects by type and factories.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            StatusInfo status = await client.QueryStatusAsync(token).ConfigureAwait(false);
            (int Networks, long Ports)? intnet = await Task.Run(() => CountNetworks(parse), token).ConfigureAwait(false);
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonNode node = JsonSerializer.SerializeToNode(status, ListingJsonContext.Default.StatusInfo)!;
                if (intnet is (int networks, long ports))
                {
                    node["intnet"] = new JsonObject { ["networks"] = networks, ["ports"] = ports };
                }

                await Console.Out.WriteLineAsync(node.ToJsonString(s_indented)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            string text = Render(status);
            if (intnet is (int n, long p))
            {
                text += string.Create(CultureInfo.InvariantCulture, $"networks        {n} (intnet), {p} ports{Environment.NewLine}");
            }

            await Console.Out.WriteAsync(text).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct, SupEndpoint.Restricted));
        return command;
    }

    private static readonly JsonSerializerOptions s_indented = new(ListingJsonContext.Default.Options) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The intnet module's networks and their ports (NetList), when the module is loaded and this
    /// user may open a full session; null otherwise (status itself goes through the restricted socket).
    /// </summary>
    private static (int Networks, long Ports)? CountNetworks(ParseResult parse)
    {
        try
        {
            using SupClient full = SupClient.Connect(GlobalOptions.ClientOptions(parse));
            if (!full.ListModules().Any(m => string.Equals(m.Name, "intnet", StringComparison.Ordinal) && string.Equals(m.State, "loaded", StringComparison.Ordinal)))
            {
                return null;
            }

            return NetRender.Count(full.ListIntNetNetworks());
        }
        catch (SupException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Render(StatusInfo s)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"supd {s.DaemonVersion} (interface {s.Version}), pid {s.Pid}");
        text.AppendLine(CultureInfo.InvariantCulture, $"run directory   {s.RunDirectory}");
        text.AppendLine(CultureInfo.InvariantCulture, $"up since        {s.StartedAt:u} ({TimeSpan.FromSeconds(Math.Floor(s.UptimeSeconds))})");
        text.AppendLine(CultureInfo.InvariantCulture, $"sessions        {s.Sessions} open, {s.SessionsOpened} since start, {s.SessionsRefused} refused");
        text.AppendLine(CultureInfo.InvariantCulture, $"cancelled calls {s.CallsIgnoringCancellation} ignored their cancellation past the grace");
        string byType = s.ObjectsByType.Count == 0 ? "none" : string.Join(", ", s.ObjectsByType.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"objects         {byType} ({s.ObjectsCreated} created, {s.ObjectsDestroyed} destroyed)");
        text.AppendLine(CultureInfo.InvariantCulture, $"descriptors     {s.DescriptorsHeld} held for sessions of {s.DescriptorBudget}, {s.DescriptorsUnclaimed} sent with module calls and not taken (closed)");
        text.AppendLine(CultureInfo.InvariantCulture, $"factories       {s.Factories}");
        text.AppendLine(CultureInfo.InvariantCulture, $"modules         {s.Modules} open, {s.ModulesUnloaded} unloaded ({s.ModulesCollected} collected){(s.LockedDown ? ", loading locked down" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"GIP             {s.GipMode}, {s.GipUsers} session(s) mapping it, {s.GipUpdates} updates{(s.GipUpdaterRunning ? ", updating" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"request limit   {s.MaxRequestSize} bytes");
        return text.ToString();
    }
}
