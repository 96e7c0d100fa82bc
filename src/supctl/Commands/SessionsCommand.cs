using System.CommandLine;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl sessions</c>: every open session.</summary>
internal static class SessionsCommand
{
    public static Command Create()
    {
        var command = new Command("sessions", "List the open sessions: peer pid, uid, gid, endpoint, what they hold, whether they map the GIP.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            IReadOnlyList<SessionInfo> sessions = await client.ListSessionsAsync(token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, sessions.ToList(), Render).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Render(List<SessionInfo> sessions)
    {
        var table = new Table("ID", "ENDPOINT", "PID", "UID", "GID", "CONNECTED", "REQUESTS", "OBJECTS", "FACTORIES", "GIP");
        foreach (SessionInfo s in sessions)
        {
            table.Add(s.Id, s.Endpoint, s.Pid, s.Uid, s.Gid, s.ConnectedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture), s.Requests, s.Objects, s.Factories, s.MapsGip ? "mapped" : "-");
        }

        return table.ToString();
    }
}
