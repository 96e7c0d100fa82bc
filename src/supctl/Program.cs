using System.CommandLine;
using Supctl;
using Supctl.Commands;

var root = new RootCommand("supctl: inspect and drive the SupHost daemon (supd).")
{
    GlobalOptions.RunDir,
    GlobalOptions.Json,
    StatusCommand.Create(),
    SessionsCommand.Create(),
    ObjectsCommand.Create(),
    FactoriesCommand.Create(),
    ModulesCommand.Create(),
    ModuleCommand.Create(),
    MemoryCommand.Create(),
    GipCommand.Create(),
    NetCommand.Create(),
    NetAdpCommand.Create(),
};

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
    {
        await Console.Error.WriteLineAsync($"supctl: {error.Message}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("Try 'supctl --help'.").ConfigureAwait(false);
    return ExitCodes.Usage;
}

return await parse.InvokeAsync().ConfigureAwait(false);
