using System.CommandLine;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl module load|unload|call</c>: drive one module.</summary>
internal static class ModuleCommand
{
    public static Command Create()
    {
        var command = new Command("module", "Load, unload or call one module.");
        command.Subcommands.Add(Load());
        command.Subcommands.Add(Unload());
        command.Subcommands.Add(CallCommand());
        return command;
    }

    private static Command Load()
    {
        var name = new Argument<string>("name") { Description = "The module's name (its directory and file in a module directory)." };
        var command = new Command("load", "Load a module and keep it loaded in the daemon (until 'module unload').") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string module = parse.GetValue(name)!;
            ModuleOpenReply open = client.OpenModule(module);
            try
            {
                SupStatus status = client.LoadModule(open.Handle, pin: true);
                await Console.Out.WriteLineAsync(status == SupStatus.AlreadyLoaded
                    ? $"{module}: already loaded; the daemon keeps it loaded"
                    : $"{module}: loaded (Abi {open.AbiVersion >> 16}.{open.AbiVersion & 0xffff}); the daemon keeps it loaded").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            finally
            {
                client.FreeModule(open.Handle);
            }
        }, ct));
        return command;
    }

    private static Command Unload()
    {
        var name = new Argument<string>("name") { Description = "The module's name." };
        var command = new Command("unload", "Drop the daemon's hold on a module; it unloads once no session holds it.") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string module = parse.GetValue(name)!;
            if (!(await client.ListModulesAsync(token).ConfigureAwait(false)).Any(m => string.Equals(m.Name, module, StringComparison.Ordinal) && m.State is "loaded" or "opened"))
            {
                throw new SupException(SupStatus.NotFound, $"module '{module}' is not loaded");
            }

            ModuleOpenReply open = client.OpenModule(module);
            SupStatus status = client.FreeModule(open.Handle, unpin: true);
            await Console.Out.WriteLineAsync(status == SupStatus.ModuleUnloaded
                ? $"{module}: terminated and unloaded"
                : $"{module}: released by the daemon; still held (see 'supctl modules')").ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command CallCommand()
    {
        var name = new Argument<string>("name") { Description = "The module's name." };
        var symbol = new Argument<string>("symbol") { Description = "The entry point's name." };
        var op = new Option<uint>("--op") { Description = "The operation code (default 0)." };
        var arg = new Option<ulong>("--arg") { Description = "The 64-bit argument (default 0)." };
        var data = new Option<string?>("--data") { Description = "Input payload: hexadecimal bytes, or @FILE for a file's contents." };
        var outputSize = new Option<int>("--output-size") { Description = "Largest reply payload to accept (default 4096).", DefaultValueFactory = _ => 4096 };
        var command = new Command("call", "Call an entry point of a module (loading it for the call if nobody has) and print what it returns.") { name, symbol, op, arg, data, outputSize };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            byte[] input = ReadData(parse.GetValue(data));
            ModuleOpenReply open = client.OpenModule(parse.GetValue(name)!);
            try
            {
                if (open.NeedsLoading)
                {
                    client.LoadModule(open.Handle);
                }

                ulong entry = client.GetSymbol(open.Handle, parse.GetValue(symbol)!);
                SupReply reply = client.CallModule(entry, parse.GetValue(op), parse.GetValue(arg), input, parse.GetValue(outputSize));
                string hex = Convert.ToHexStringLower(reply.Payload);
                await Console.Out.WriteLineAsync(parse.GetValue(GlobalOptions.Json)
                    ? $"{{\"status\": {(int)reply.Status}, \"output\": \"{hex}\"}}"
                    : $"status {reply.Status} ({(int)reply.Status}), {reply.Payload.Length} bytes{(hex.Length == 0 ? string.Empty : ": " + hex)}").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            finally
            {
                client.FreeModule(open.Handle);
            }
        }, ct));
        return command;
    }

    private static byte[] ReadData(string? data)
    {
        if (string.IsNullOrEmpty(data))
        {
            return [];
        }

        if (data[0] == '@')
        {
            try
            {
                return File.ReadAllBytes(data[1..]);
            }
            catch (IOException ex)
            {
                throw new SupException(SupStatus.InvalidParameter, $"--data {data}: {ex.Message}", ex);
            }
        }

        try
        {
            return Convert.FromHexString(data.Replace(" ", string.Empty, StringComparison.Ordinal));
        }
        catch (FormatException ex)
        {
            throw new SupException(SupStatus.InvalidParameter, $"--data '{data}' is not hexadecimal bytes (e.g. 0a1b2c) or @FILE", ex);
        }
    }
}
