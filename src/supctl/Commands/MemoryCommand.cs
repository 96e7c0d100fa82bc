using System.CommandLine;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl memory</c>: shared-page allocations by session.</summary>
internal static class MemoryCommand
{
    public static Command Create()
    {
        var command = new Command("memory", "List shared-page allocations: session, pages, locked, modules that map them.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            IReadOnlyList<MemoryInfo> memory = await Task.Run(client.ListMemory, token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, memory.ToList(), Render).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Render(List<MemoryInfo> allocations)
    {
        var table = new Table("HANDLE", "SESSION", "PAGES", "LOCKED", "MODULES");
        foreach (MemoryInfo m in allocations)
        {
            table.Add(m.Handle, m.SessionId, m.Pages, m.Locked ? "yes" : "no", m.Modules.Count == 0 ? "-" : string.Join(",", m.Modules));
        }

        return table.ToString();
    }
}
