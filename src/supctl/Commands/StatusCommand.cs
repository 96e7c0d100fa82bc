using System.CommandLine;
using System.Globalization;
using System.Text;
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
            return await CommandRunner.PrintAsync(parse, status, Render).ConfigureAwait(false);
        }, ct, SupEndpoint.Restricted));
        return command;
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
