using System.CommandLine;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl factories</c>: the component factory registry.</summary>
internal static class FactoriesCommand
{
    public static Command Create()
    {
        var command = new Command("factories", "List the registered component factories, in query order.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            IReadOnlyList<FactoryInfo> factories = await client.ListFactoriesAsync(token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, factories.ToList(), Render).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Render(List<FactoryInfo> factories)
    {
        var table = new Table("ID", "NAME", "OWNER", "INTERFACES");
        foreach (FactoryInfo f in factories)
        {
            table.Add(f.Id, f.Name, f.Owner, f.Interfaces.Count == 0 ? "(by code)" : string.Join(" ", f.Interfaces));
        }

        return table.ToString();
    }
}
