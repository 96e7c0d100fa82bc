using System.CommandLine;
using System.Globalization;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl net list|show|create|delete|capture</c>: the intnet module's networks.</summary>
internal static class NetCommand
{
    public static readonly Option<string?> TrunkType = new("--trunk-type") { Description = "none (default), whatever-none, netflt, netadp or srvnat." };
    public static readonly Option<string?> TrunkName = new("--trunk") { Description = "The trunk's name: the host interface (netflt) or adapter (netadp)." };
    public static readonly Option<string?> Access = new("--access") { Description = "public or restricted (joining checks access to the network object)." };
    public static readonly Option<string?> PromiscuousClients = new("--promisc-clients") { Description = "allow or deny promiscuous client interfaces." };
    public static readonly Option<string?> PromiscuousTrunkHost = new("--promisc-trunk-host") { Description = "allow or deny a promiscuous trunk host end." };
    public static readonly Option<string?> PromiscuousTrunkWire = new("--promisc-trunk-wire") { Description = "allow or deny a promiscuous trunk wire end." };
    public static readonly Option<string?> TrunkHost = new("--trunk-host") { Description = "enabled or disabled: the trunk's host end." };
    public static readonly Option<string?> TrunkHostMode = new("--trunk-host-mode") { Description = "chaste or promiscuous: what the trunk's host end receives." };
    public static readonly Option<string?> TrunkWire = new("--trunk-wire") { Description = "enabled or disabled: the trunk's wire end." };
    public static readonly Option<string?> TrunkWireMode = new("--trunk-wire-mode") { Description = "chaste or promiscuous: what the trunk's wire end receives." };
    public static readonly Option<bool> SharedMacOnWire = new("--shared-mac-on-wire") { Description = "The host shares its MAC with the wire." };
    public static readonly Option<string[]> Fixed = new("--fixed") { Description = "Policies later opens may not change: access, promiscuous, trunk, interface (repeat or separate with commas).", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<string?> RawFlags = new("--flags") { Description = "Further INTNET_OPEN_FLAGS_* bits, in hexadecimal (0x...), or'ed in." };

    public static readonly Option<string[]> QemuStream = new("--stream") { HelpName = "PATH", Description = "Listen on the Unix path (or tcp:PORT on 127.0.0.1; 0 picks one) for QEMU guests (-netdev stream,server=off,addr.type=unix,addr.path=PATH); each connection a port. Repeatable." };
    public static readonly Option<string[]> QemuStreamConnect = new("--stream-connect") { HelpName = "PATH", Description = "Connect to a QEMU listening on the Unix path or tcp:PORT on 127.0.0.1 (-netdev stream,server=on), again whenever it is not connected. Repeatable." };
    public static readonly Option<string[]> QemuDgram = new("--dgram") { HelpName = "PATH", Description = "Bind the Unix datagram path for QEMU guests (-netdev dgram,...,remote.path=PATH); each source path a port. Repeatable." };
    public static readonly Option<int> QemuMaxPeers = new("--max-peers") { HelpName = "N", Description = "The most connections or datagram peers of each QEMU back-end (default 64, at most 1024)." };
    public static readonly Option<double> QemuIdle = new("--dgram-idle") { HelpName = "SECONDS", Description = "Forget a datagram peer after this long without a frame from it (default 60)." };
    public static readonly Option<int> QemuQueue = new("--qemu-queue") { HelpName = "BYTES", Description = "What each QEMU port holds for a guest that does not read, before frames are dropped (default 262144)." };

    public static readonly Option<string?> CaptureFile = new("-w") { HelpName = "FILE|-", Description = "Write the frames to FILE (pcap or pcapng), or to standard output with '-'; without it, print one line per frame." };
    public static readonly Option<int?> CaptureCount = new("--count", "-c") { HelpName = "N", Description = "Stop after N frames." };
    public static readonly Option<int> CaptureSnapLength = new("--snaplen", "-s") { HelpName = "N", Description = "Keep at most N bytes of each frame (1 to 65535; default 65535).", DefaultValueFactory = _ => IntNetCapture.MaxSnapLength };
    public static readonly Option<string> CaptureFormat = new("--format", "-F") { Description = "pcap (default) or pcapng.", DefaultValueFactory = _ => "pcap" };

    public static Command Create()
    {
        var command = new Command("net", "The intnet module's networks: list, show, create, delete, capture.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(CreateNetwork());
        command.Subcommands.Add(Delete());
        command.Subcommands.Add(Capture());
        command.Subcommands.Add(NetTrunkCommand.Create());
        return command;
    }

    /// <summary>The policy flags the create options ask for (docs/intnet.md, REFERENCE.md §8's INTNET_OPEN_FLAGS_*).</summary>
    /// <exception cref="SupException"><see cref="SupStatus.InvalidParameter"/> naming the option and the values it takes.</exception>
    public static IntNetOpenFlags Flags(ParseResult parse)
    {
        IntNetOpenFlags flags = IntNetOpenFlags.None;
        flags |= Pair(parse, Access, "public", IntNetOpenFlags.AccessPublic, "restricted", IntNetOpenFlags.AccessRestricted);
        flags |= Pair(parse, PromiscuousClients, "allow", IntNetOpenFlags.PromiscAllowClients, "deny", IntNetOpenFlags.PromiscDenyClients);
        flags |= Pair(parse, PromiscuousTrunkHost, "allow", IntNetOpenFlags.PromiscAllowTrunkHost, "deny", IntNetOpenFlags.PromiscDenyTrunkHost);
        flags |= Pair(parse, PromiscuousTrunkWire, "allow", IntNetOpenFlags.PromiscAllowTrunkWire, "deny", IntNetOpenFlags.PromiscDenyTrunkWire);
        flags |= Pair(parse, TrunkHost, "enabled", IntNetOpenFlags.TrunkHostEnabled, "disabled", IntNetOpenFlags.TrunkHostDisabled);
        flags |= Pair(parse, TrunkHostMode, "chaste", IntNetOpenFlags.TrunkHostChasteMode, "promiscuous", IntNetOpenFlags.TrunkHostPromiscMode);
        flags |= Pair(parse, TrunkWire, "enabled", IntNetOpenFlags.TrunkWireEnabled, "disabled", IntNetOpenFlags.TrunkWireDisabled);
        flags |= Pair(parse, TrunkWireMode, "chaste", IntNetOpenFlags.TrunkWireChasteMode, "promiscuous", IntNetOpenFlags.TrunkWirePromiscMode);
        if (parse.GetValue(SharedMacOnWire))
        {
            flags |= IntNetOpenFlags.SharedMacOnWire;
        }

        foreach (string item in (parse.GetValue(Fixed) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            flags |= item switch
            {
                "access" => IntNetOpenFlags.AccessFixed,
                "promiscuous" => IntNetOpenFlags.PromiscFixed,
                "trunk" => IntNetOpenFlags.TrunkFixed,
                "interface" => IntNetOpenFlags.InterfaceFixed,
                _ => throw new SupException(SupStatus.InvalidParameter, $"--fixed {item}: the policies are access, promiscuous, trunk and interface"),
            };
        }

        string? raw = parse.GetValue(RawFlags);
        if (raw is not null)
        {
            string digits = raw.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? raw[2..] : raw;
            if (!uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint bits))
            {
                throw new SupException(SupStatus.InvalidParameter, $"--flags {raw}: not a hexadecimal 32-bit number (e.g. 0x00000020)");
            }

            flags |= (IntNetOpenFlags)bits;
        }

        return flags;
    }

    /// <summary>The QEMU back-ends the create options ask for, in the order stream, stream-connect, dgram.</summary>
    /// <exception cref="SupException"><see cref="SupStatus.InvalidParameter"/> for a limit out of range.</exception>
    public static List<IntNetQemuOptions> QemuBackEnds(ParseResult parse)
    {
        int peers = parse.GetValue(QemuMaxPeers);
        double idle = parse.GetValue(QemuIdle);
        int queue = parse.GetValue(QemuQueue);
        if (peers is < 0 or > 1024)
        {
            throw new SupException(SupStatus.InvalidParameter, $"--max-peers {peers}: 1 to 1024");
        }

        if (idle < 0 || idle > 86_400)
        {
            throw new SupException(SupStatus.InvalidParameter, $"--dgram-idle {idle.ToString(CultureInfo.InvariantCulture)}: 0.1 to 86400 seconds");
        }

        List<IntNetQemuOptions> backEnds = [];
        foreach ((Option<string[]> option, IntNetQemuKind kind) in new[] { (QemuStream, IntNetQemuKind.StreamListen), (QemuStreamConnect, IntNetQemuKind.StreamConnect), (QemuDgram, IntNetQemuKind.Datagram) })
        {
            foreach (string path in parse.GetValue(option) ?? [])
            {
                backEnds.Add(new IntNetQemuOptions { Kind = kind, Path = path.StartsWith("tcp:", StringComparison.Ordinal) ? path : Path.GetFullPath(path), MaxPeers = peers, IdleTime = TimeSpan.FromSeconds(idle), QueueBytes = queue });
            }
        }

        return backEnds;
    }

    private static string QemuKindName(IntNetQemuKind kind) => kind switch
    {
        IntNetQemuKind.StreamListen => "stream",
        IntNetQemuKind.StreamConnect => "stream-connect",
        IntNetQemuKind.Datagram => "dgram",
        _ => kind.ToString(),
    };

    /// <summary>The trunk type the option names.</summary>
    public static IntNetTrunkType Trunk(string? name) => name switch
    {
        null or "none" => IntNetTrunkType.None,
        "whatever-none" => IntNetTrunkType.WhateverNone,
        "netflt" => IntNetTrunkType.NetFlt,
        "netadp" => IntNetTrunkType.NetAdp,
        "srvnat" => IntNetTrunkType.SrvNat,
        _ => throw new SupException(SupStatus.InvalidParameter, $"--trunk-type {name}: one of none, whatever-none, netflt, netadp, srvnat"),
    };

    /// <summary>The capture file format the option names.</summary>
    public static CaptureFileFormat Format(string name) => name switch
    {
        "pcap" => CaptureFileFormat.Pcap,
        "pcapng" => CaptureFileFormat.PcapNg,
        _ => throw new SupException(SupStatus.InvalidParameter, $"--format {name}: pcap or pcapng"),
    };

    /// <summary>One line per captured frame, for people: time (UTC, nanoseconds), source port, addresses, EtherType, lengths.</summary>
    public static string Describe(IntNetCaptureRecord record)
    {
        DateTime time = DateTime.UnixEpoch.AddTicks(record.TimestampNanoseconds / 100);
        string stamp = $"{time:yyyy-MM-ddTHH:mm:ss}.{record.TimestampNanoseconds % 1_000_000_000:D9}Z";
        string source = record.SourcePort switch
        {
            IntNetCaptureRecord.TrunkWirePort => "wire",
            IntNetCaptureRecord.TrunkHostPort => "host",
            uint port => $"port {port}",
        };
        ReadOnlySpan<byte> data = record.Data;
        if (data.Length < 14)
        {
            return $"{stamp} {source} {data.Length}/{record.WireLength} bytes (shorter than an Ethernet header)";
        }

        return $"{stamp} {source} {Mac(data[6..12])} > {Mac(data[..6])} type 0x{data[12]:x2}{data[13]:x2} length {record.WireLength}{(data.Length < record.WireLength ? $" ({data.Length} captured)" : string.Empty)}";
    }

    private static string Mac(ReadOnlySpan<byte> bytes) =>
        string.Create(17, bytes.ToArray(), static (span, b) =>
        {
            for (int i = 0; i < 6; i++)
            {
                b[i].TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
                if (i < 5)
                {
                    span[(i * 3) + 2] = ':';
                }
            }
        });

    private static IntNetOpenFlags Pair(ParseResult parse, Option<string?> option, string relaxed, IntNetOpenFlags relaxedFlag, string restrictive, IntNetOpenFlags restrictiveFlag)
    {
        string? value = parse.GetValue(option);
        if (value is null)
        {
            return IntNetOpenFlags.None;
        }

        return string.Equals(value, relaxed, StringComparison.Ordinal) ? relaxedFlag
            : string.Equals(value, restrictive, StringComparison.Ordinal) ? restrictiveFlag
            : throw new SupException(SupStatus.InvalidParameter, $"{option.Name} {value}: {relaxed} or {restrictive}");
    }

    private static Command List()
    {
        var command = new Command("list", "List the networks: trunk, access, ports, captures, owner.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string json = await Task.Run(client.ListIntNetNetworks, token).ConfigureAwait(false);
            await Console.Out.WriteAsync(parse.GetValue(GlobalOptions.Json) ? NetRender.Indented(json) : NetRender.List(json)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "The network's name." };
        var command = new Command("show", "Show one network: its policy, counters, trunk and ports (kind, MAC, state, counters).") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string json = await Task.Run(() => client.ShowIntNetNetwork(parse.GetValue(name)!), token).ConfigureAwait(false);
            await Console.Out.WriteAsync(parse.GetValue(GlobalOptions.Json) ? NetRender.Indented(json) : NetRender.Show(json)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command CreateNetwork()
    {
        var name = new Argument<string>("name") { Description = "The network's name (1 to 127 bytes)." };
        var command = new Command("create", "Create a persistent network (it stays without interfaces until 'net delete'), with its trunk and policies.")
        {
            name, TrunkType, TrunkName, Access, PromiscuousClients, PromiscuousTrunkHost, PromiscuousTrunkWire,
            TrunkHost, TrunkHostMode, TrunkWire, TrunkWireMode, SharedMacOnWire, Fixed, RawFlags,
            QemuStream, QemuStreamConnect, QemuDgram, QemuMaxPeers, QemuIdle, QemuQueue,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            var options = new IntNetOpenOptions
            {
                Network = parse.GetValue(name)!,
                TrunkType = Trunk(parse.GetValue(TrunkType)),
                TrunkName = parse.GetValue(TrunkName) ?? string.Empty,
                Flags = Flags(parse),
            };
            List<IntNetQemuOptions> qemu = QemuBackEnds(parse);
            bool created = await Task.Run(() => client.CreateIntNetNetwork(options, persistent: true), token).ConfigureAwait(false);
            if (!created)
            {
                // The switch keeps the network as it is, whatever the options asked for.
                await Console.Error.WriteLineAsync($"network {options.Network}: exists already (AlreadyExists); its settings are unchanged").ConfigureAwait(false);
                return ExitCodes.Failed;
            }

            await Console.Out.WriteLineAsync($"network {options.Network}: created (persistent)").ConfigureAwait(false);
            foreach (IntNetQemuOptions backEnd in qemu)
            {
                try
                {
                    await Task.Run(() => client.AddIntNetQemu(options.Network, backEnd), token).ConfigureAwait(false);
                }
                catch (SupException)
                {
                    // Nothing half made stays: the network goes with the back-end that failed.
                    await Task.Run(() => client.DeleteIntNetNetwork(options.Network), token).ConfigureAwait(false);
                    await Console.Error.WriteLineAsync($"network {options.Network}: deleted again, its QEMU back-end on {backEnd.Path} failed").ConfigureAwait(false);
                    throw;
                }

                await Console.Out.WriteLineAsync($"network {options.Network}: QEMU {QemuKindName(backEnd.Kind)} on {backEnd.Path}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Delete()
    {
        var name = new Argument<string>("name") { Description = "The network's name." };
        var command = new Command("delete", "Delete a network; its interfaces are closed.") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            string network = parse.GetValue(name)!;
            await Task.Run(() => client.DeleteIntNetNetwork(network), token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"network {network}: deleted").ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Capture()
    {
        var network = new Argument<string>("network") { Description = "The network to capture." };
        var command = new Command("capture", "Capture every frame the network switches, live: to a pcap or pcapng file (-w), or as lines.")
        {
            network, CaptureFile, CaptureCount, CaptureSnapLength, CaptureFormat,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, (client, token) => Task.Run(() => RunCapture(parse, client, parse.GetValue(network)!, token), token), ct));
        return command;
    }

    private static int RunCapture(ParseResult parse, SupClient client, string network, CancellationToken token)
    {
        int? count = parse.GetValue(CaptureCount);
        if (count is < 1)
        {
            throw new SupException(SupStatus.InvalidParameter, $"--count {count}: at least 1");
        }

        int snap = parse.GetValue(CaptureSnapLength);
        if (snap is < 1 or > IntNetCapture.MaxSnapLength)
        {
            throw new SupException(SupStatus.InvalidParameter, $"--snaplen {snap}: 1 to {IntNetCapture.MaxSnapLength}");
        }

        CaptureFileFormat format = Format(parse.GetValue(CaptureFormat)!);
        string? file = parse.GetValue(CaptureFile);
        using IntNetCapture capture = client.StartIntNetCapture(network, snap);
        Stream? output = null;
        try
        {
            output = file switch
            {
                null => null,
                "-" => Console.OpenStandardOutput(),
                _ => File.Create(file),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SupException(SupStatus.InvalidParameter, $"-w {file}: {ex.Message}", ex);
        }

        using CaptureFileWriter? writer = output is null ? null : CaptureFileWriter.Create(output, format, snap, network);
        if (!string.Equals(file, "-", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"capturing on {network}{(file is null ? string.Empty : $" into {file}")}, {snap} bytes per frame{(count is null ? "; Ctrl-C stops" : $", {count} frames")}");
        }

        long frames = 0;
        string ended = "stopped";
        try
        {
            while (count is null || frames < count)
            {
                if (capture.TryRead(out IntNetCaptureRecord record))
                {
                    if (writer is null)
                    {
                        Console.Out.WriteLine(Describe(record));
                    }
                    else
                    {
                        writer.Write(record);
                    }

                    frames++;
                    continue;
                }

                // Nothing pending: push what was written out (the capture is live), then wait.
                writer?.Flush();
                SupStatus status = capture.Wait(-1, token);
                if (status == SupStatus.ObjectDying)
                {
                    ended = "the capture ended (its network was deleted)";
                    break;
                }

                if (status == SupStatus.WaitCancelled)
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // The reader went away (a closed pipe): stop quietly.
            ended = "the output was closed";
        }

        try
        {
            writer?.Flush();
        }
        catch (IOException)
        {
            // As above.
        }

        Console.Error.WriteLine($"{frames} frames captured, {capture.Lost} dropped by the switch (the capture ring was full); {ended}");
        return ExitCodes.Ok;
    }
}
