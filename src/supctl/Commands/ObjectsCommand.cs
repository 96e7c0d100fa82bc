using System.CommandLine;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl objects</c>: every live object and who holds it.</summary>
internal static class ObjectsCommand
{
    public static Command Create()
    {
        var command = new Command("objects", "List the live objects: type, name, owner, mode, references by session.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            IReadOnlyList<ObjectInfo> objects = await client.ListObjectsAsync(token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, objects.ToList(), Render).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Render(List<ObjectInfo> objects)
    {
        var table = new Table("HANDLE", "TYPE", "NAME", "OWNER", "MODE", "PUBLIC", "REFS", "HELD BY (session:refs)");
        foreach (ObjectInfo o in objects)
        {
            table.Add(o.Handle, o.Type, o.Name ?? "-", $"{o.OwnerUid}:{o.OwnerGid}", o.Mode, o.Public ? "yes" : "no", o.References,
                string.Join(" ", o.Usages.Select(u => $"{u.SessionId}:{u.References}")));
        }

        return table.ToString();
    }
}
