using System.CommandLine;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl netadp</c>: the netadp module's host-only adapters (docs/networking.md).</summary>
internal static class NetAdpCommand
{
    private const string ModuleName = "netadp";
    private const int MaxAnswer = 1 << 20;

    public static Command Create()
    {
        var command = new Command("netadp", "The netadp module's host-only adapters (TAP devices on IntNet networks): add, remove, list.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string?>("name") { Description = "The adapter's name (1 to 15 bytes); without it the next free suphostN.", Arity = ArgumentArity.ZeroOrOne };
        var network = new Option<string?>("--network") { HelpName = "NET", Description = "The IntNet network it is a port of (created when it does not exist)." };
        var netns = new Option<string?>("--netns") { HelpName = "NS", Description = "The network namespace it is made in (ip netns); the daemon's own without it." };
        var mac = new Option<string?>("--mac") { HelpName = "MAC", Description = "Its address (aa:bb:cc:dd:ee:ff); 0a:53:48:00:00:<unit> without it." };
        var mtu = new Option<int?>("--mtu") { HelpName = "N", Description = "Its MTU (68 to 65535; default 1500)." };
        var keep = new Option<bool>("--keep")
        {
            Description = "Keep it as a device when the daemon stops (a persistent TAP, recorded in the daemon's run directory): the next daemon takes it back, on no network. "
                + "Supd:Modules:netadp:KeepAdapters=true keeps every adapter. A killed daemon's adapters are removed at the next start.",
        };
        var command = new Command("add", "Create a host-only adapter, optionally in a namespace and on a network.") { name, network, netns, mac, mtu, keep };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            byte[] request;
            using (var stream = new MemoryStream())
            {
                using (var json = new Utf8JsonWriter(stream))
                {
                    json.WriteStartObject();
                    WriteIf(json, "name", parse.GetValue(name));
                    WriteIf(json, "network", parse.GetValue(network));
                    WriteIf(json, "netns", parse.GetValue(netns));
                    WriteIf(json, "mac", parse.GetValue(mac));
                    if (parse.GetValue(mtu) is int value)
                    {
                        json.WriteNumber("mtu", value);
                    }

                    if (parse.GetValue(keep))
                    {
                        json.WriteBoolean("keep", true);
                    }

                    json.WriteEndObject();
                }

                request = stream.ToArray();
            }

            string answer = await Task.Run(() => Call(client, "Add", request), token).ConfigureAwait(false);
            using var document = JsonDocument.Parse(answer);
            JsonElement a = document.RootElement;
            if (parse.GetValue(GlobalOptions.Json))
            {
                await Console.Out.WriteAsync(NetRender.Indented(answer)).ConfigureAwait(false);
            }
            else
            {
                string where = Text(a, "namespace") is "-" ? string.Empty : $" in netns {Text(a, "namespace")}";
                string on = Text(a, "network") is "-" ? " on no network" : $" on network {Text(a, "network")}";
                string kept = Text(a, "kept") is "yes" ? ", kept" : string.Empty;
                await Console.Out.WriteLineAsync($"adapter {Text(a, "name")}{where}: created ({Text(a, "mac")}, MTU {Text(a, "mtu")}{kept}){on}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The adapter's name." };
        var command = new Command("remove", "Remove a host-only adapter: it leaves its network and its TAP goes.") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string adapter = parse.GetValue(name)!;
            _ = await Task.Run(() => Call(client, "Remove", Encoding.UTF8.GetBytes(adapter)), token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"adapter {adapter}: removed").ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the adapters: name, namespace, network, MAC, MTU, kept, counters.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string json = await Task.Run(() => Call(client, "List", []), token).ConfigureAwait(false);
            await Console.Out.WriteAsync(parse.GetValue(GlobalOptions.Json) ? NetRender.Indented(json) : Table(json)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Calls an entry point of netadp (opened, and loaded when nobody has), with a 64 KiB answer, then the largest when it needs more.</summary>
    private static string Call(SupClient client, string entry, byte[] input)
    {
        ModuleOpenReply open = client.OpenModule(ModuleName);
        if (open.NeedsLoading)
        {
            client.LoadModule(open.Handle);
        }

        ulong symbol = client.GetSymbol(open.Handle, entry);
        SupReply reply;
        try
        {
            reply = client.CallModule(symbol, 0, 0, input, 64 * 1024);
        }
        catch (SupException ex) when (ex.Status == SupStatus.BufferOverflow)
        {
            reply = client.CallModule(symbol, 0, 0, input, MaxAnswer);
        }

        return Encoding.UTF8.GetString(reply.Payload);
    }

    private static string Table(string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new Table("NAME", "NAMESPACE", "NETWORK", "ROLE", "MAC", "MTU", "KEPT", "IN", "OUT", "LOST", "BAD");
        if (document.RootElement.TryGetProperty("adapters", out JsonElement adapters) && adapters.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement a in adapters.EnumerateArray())
            {
                JsonElement c = a.TryGetProperty("counters", out JsonElement counters) ? counters : default;
                table.Add(Text(a, "name"), Text(a, "namespace"), Text(a, "network"), Text(a, "role"), Text(a, "mac"), Text(a, "mtu"), Text(a, "kept"),
                    Text(c, "framesIn"), Text(c, "framesOut"), Text(c, "lost"), Text(c, "bad"));
            }
        }

        return table.ToString();
    }

    private static void WriteIf(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? "-",
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "yes",
                JsonValueKind.False => "no",
                _ => "-",
            }
            : "-";
}
