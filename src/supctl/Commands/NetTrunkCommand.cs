using System.CommandLine;
using System.Text;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl net trunk NET --host-interface IF [--netns NS] | --detach</c>: bridging a host interface (netflt, docs/networking.md).</summary>
internal static class NetTrunkCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The network." };
        var hostInterface = new Option<string?>("--host-interface") { HelpName = "IF", Description = "Bridge this host interface into the network as its trunk (loads and pins the netflt module)." };
        var netns = new Option<string?>("--netns") { HelpName = "NS", Description = "The network namespace the interface is in (the daemon's without it)." };
        var detach = new Option<bool>("--detach") { Description = "Take the network's trunk away." };
        var command = new Command("trunk", "Give a network a NetFlt trunk on a host interface, or detach its trunk.") { name, hostInterface, netns, detach };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string network = parse.GetValue(name)!;
            string? device = parse.GetValue(hostInterface);
            bool off = parse.GetValue(detach);
            if ((device is null) == !off)
            {
                throw new SupException(SupStatus.InvalidParameter, "net trunk: either --host-interface IF or --detach");
            }

            string trunk = parse.GetValue(netns) is string ns ? $"{ns}/{device}" : device ?? string.Empty;
            await Task.Run(() => Run(client, network, off ? null : trunk), token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(off ? $"network {network}: trunk detached" : $"network {network}: trunk netflt '{trunk}'").ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static void Run(SupClient client, string network, string? trunk)
    {
        if (trunk is not null)
        {
            // The driver must outlive this command: loaded pinned, as 'supctl module load' does.
            ModuleOpenReply driver = client.OpenModule("netflt");
            if (driver.NeedsLoading)
            {
                client.LoadModule(driver.Handle, pin: true);
            }
        }

        ModuleOpenReply intnet = client.OpenModule("intnet");
        if (intnet.NeedsLoading)
        {
            client.LoadModule(intnet.Handle);
        }

        byte[] input = trunk is null ? Encoding.UTF8.GetBytes(network) : [.. Encoding.UTF8.GetBytes(network), 0, .. Encoding.UTF8.GetBytes(trunk)];
        _ = client.CallModule(client.GetSymbol(intnet.Handle, "NetTrunk"), trunk is null ? 1u : 0u, 0, input, 0);
    }
}
