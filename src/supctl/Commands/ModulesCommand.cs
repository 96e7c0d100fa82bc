using System.CommandLine;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl modules</c>: every module, its state, who holds it, its entry points.</summary>
internal static class ModulesCommand
{
    public static Command Create()
    {
        var command = new Command("modules", "List the modules: version, Abi version, state (faulted: code of its own threw outside a call), references by session (0 = the daemon's pin), entry points, faults and why.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            IReadOnlyList<ModuleInfo> modules = await client.ListModulesAsync(token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, modules.ToList(), Render).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Render(List<ModuleInfo> modules)
    {
        var table = new Table("NAME", "VERSION", "ABI", "STATE", "REFS (session:refs)", "CALLS", "SYMBOLS", "FAULTS", "HELD BY");
        foreach (ModuleInfo m in modules)
        {
            table.Add(m.Name, m.Version, m.AbiVersion, m.State,
                m.References.Count == 0 ? "-" : string.Join(" ", m.References.Select(r => $"{r.SessionId}:{r.References}")),
                m.FailedCalls + m.SlowCalls == 0 ? m.Calls.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{m.Calls} ({m.FailedCalls} failed, {m.SlowCalls} slow)",
                m.Symbols.Count == 0 ? "-" : string.Join(",", m.Symbols) + (m.Service ? " +service" : string.Empty),
                m.Fault is null ? m.Faults.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{m.Faults}: {m.Fault}",
                m.HeldBy ?? "-");
        }

        return table.ToString();
    }
}
