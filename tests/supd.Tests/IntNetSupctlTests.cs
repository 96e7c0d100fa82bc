using System.Net.NetworkInformation;
using System.Text.Json;
using SupHost.Client;

namespace Supd.Tests;

/// <summary>Issue 11, item 8 and 7 over a live daemon: supctl net list/show/create/delete, and supctl net capture read back by tshark.</summary>
public sealed class IntNetSupctlTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private string RunDir => fixture.Daemon.RunDir;

    [Fact]
    public void Net_create_list_show_and_delete_a_persistent_network()
    {
        string name = $"ctl-{Guid.NewGuid().ToString("N")[..8]}";
        (int code, string stdout, string stderr) = Tool.Supctl("net", "create", name, "--access", "public", "--promisc-clients", "deny", "--run-dir", RunDir);
        Assert.True(code == 0, stderr);
        Assert.Equal($"network {name}: created (persistent)", stdout.Trim());

        (code, stdout, _) = Tool.Supctl("net", "list", "--json", "--run-dir", RunDir);
        Assert.Equal(0, code);
        JsonElement network = JsonDocument.Parse(stdout).RootElement.GetProperty("networks").EnumerateArray().Single(n => n.GetProperty("name").GetString() == name);
        Assert.True(network.GetProperty("persistent").GetBoolean());
        Assert.Equal(0, network.GetProperty("portCount").GetInt32());
        Assert.Equal("public", network.GetProperty("policy").GetProperty("access").GetString());
        Assert.Equal("deny", network.GetProperty("policy").GetProperty("promiscuousClients").GetString());

        (code, stdout, _) = Tool.Supctl("net", "list", "--run-dir", RunDir);
        Assert.Equal(0, code);
        Assert.StartsWith("NAME", stdout, StringComparison.Ordinal);
        string row = Assert.Single(stdout.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains("public", row, StringComparison.Ordinal);

        // A second create of the name fails and leaves the network as it was.
        (code, _, stderr) = Tool.Supctl("net", "create", name, "--access", "restricted", "--run-dir", RunDir);
        Assert.Equal(1, code);
        Assert.Contains("exists already (AlreadyExists)", stderr, StringComparison.Ordinal);
        (_, stdout, _) = Tool.Supctl("net", "show", name, "--json", "--run-dir", RunDir);
        Assert.Equal("public", JsonDocument.Parse(stdout).RootElement.GetProperty("policy").GetProperty("access").GetString());

        // An interface of this process joins: show lists it, with its set MAC, active, promiscuous asked and denied by the policy.
        using (SupClient client = fixture.Daemon.Connect())
        using (IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name }))
        {
            Assert.False(port.Created);
            port.SetMac(PhysicalAddress.Parse("02-00-5e-00-12-34"));
            port.SetActive(true);
            port.SetPromiscuous(true);
            Assert.False(port.IsPromiscuous);

            (code, stdout, _) = Tool.Supctl("net", "show", name, "--json", "--run-dir", RunDir);
            Assert.Equal(0, code);
            JsonElement shown = JsonDocument.Parse(stdout).RootElement;
            JsonElement only = Assert.Single(shown.GetProperty("ports").EnumerateArray());
            Assert.Equal("interface", only.GetProperty("kind").GetString());
            Assert.Equal("02:00:5e:00:12:34", only.GetProperty("mac").GetString());
            Assert.True(only.GetProperty("active").GetBoolean());
            Assert.False(only.GetProperty("promiscuous").GetBoolean());
            Assert.True(only.GetProperty("promiscuousRequested").GetBoolean());
            Assert.Equal(client.SessionId, only.GetProperty("sessionId").GetUInt32());

            (code, stdout, _) = Tool.Supctl("net", "show", name, "--run-dir", RunDir);
            Assert.Equal(0, code);
            Assert.Contains($"network         {name}", stdout, StringComparison.Ordinal);
            Assert.Contains("persistent      yes", stdout, StringComparison.Ordinal);
            string portRow = Assert.Single(stdout.Split('\n'), l => l.Contains("02:00:5e:00:12:34", StringComparison.Ordinal));
            Assert.Contains("02:00:5e:00:12:34 (set)", portRow, StringComparison.Ordinal);
            Assert.Contains("active", portRow, StringComparison.Ordinal);
            Assert.Contains("asked (denied)", portRow, StringComparison.Ordinal);

            (code, stdout, stderr) = Tool.Supctl("net", "delete", name, "--run-dir", RunDir);
            Assert.True(code == 0, stderr);
            Assert.Equal($"network {name}: deleted", stdout.Trim());
            Assert.True(port.IsClosed);
            Assert.Equal(SupHost.Protocol.SupStatus.ObjectDying, port.Wait(0));
        }

        (code, stdout, _) = Tool.Supctl("net", "list", "--json", "--run-dir", RunDir);
        Assert.Equal(0, code);
        Assert.DoesNotContain(JsonDocument.Parse(stdout).RootElement.GetProperty("networks").EnumerateArray(), n => n.GetProperty("name").GetString() == name);
        (code, _, stderr) = Tool.Supctl("net", "show", name, "--run-dir", RunDir);
        Assert.Equal(1, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Tool.Supctl("net", "delete", name, "--run-dir", RunDir);
        Assert.Equal(1, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_counts_the_networks_and_their_ports()
    {
        (int Networks, int Ports) Count()
        {
            (int code, string json, string stderr) = Tool.Supctl("status", "--json", "--run-dir", RunDir);
            Assert.True(code == 0, stderr);
            JsonElement intnet = JsonDocument.Parse(json).RootElement.GetProperty("intnet");
            return (intnet.GetProperty("networks").GetInt32(), intnet.GetProperty("ports").GetInt32());
        }

        (int networks, int ports) = Count();
        string name = $"stat-{Guid.NewGuid().ToString("N")[..8]}";
        using SupClient client = fixture.Daemon.Connect();
        using (IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name }))
        using (IntNetInterface b = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name }))
        {
            Assert.Equal((networks + 1, ports + 2), Count());
            (int code, string table, _) = Tool.Supctl("status", "--run-dir", RunDir);
            Assert.Equal(0, code);
            Assert.Contains($"networks        {networks + 1} (intnet), {ports + 2} ports", table, StringComparison.Ordinal);
        }

        Assert.Equal((networks, ports), Count());
    }

    [Theory]
    [InlineData("pcap")]
    [InlineData("pcapng")]
    public async Task Net_capture_writes_a_file_tshark_reads_with_the_frames_sent(string format)
    {
        Assert.True(File.Exists("/usr/bin/tshark") || Tool.Run("sh", "-c", "command -v tshark").ExitCode == 0, "tshark is not installed (.ci/run installs it)");
        string name = $"pcap-{Guid.NewGuid().ToString("N")[..8]}";
        string file = Path.Combine(Path.GetTempPath(), $"{name}.{format}");
        using SupClient client = fixture.Daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using IntNetInterface b = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetActive(true);
        b.SetActive(true);
        try
        {
            Task<(int ExitCode, string Stdout, string Stderr)> capture = Task.Run(() => Tool.Supctl("net", "capture", name, "-w", file, "--count", "4", "--format", format, "--run-dir", RunDir));
            Poll.Until(() => capture.IsCompleted || IntNetHarness.List(client)[name].GetProperty("capturing").GetInt32() == 1, "supctl net capture to start capturing");
            if (capture.IsCompleted)
            {
                Assert.Fail($"supctl net capture ended early: {(await capture).Stderr}");
            }

            // An ARP request (broadcast), its reply (unicast back), and two UDP/IPv4 frames of different lengths.
            byte[] macA = [0x02, 0, 0, 0, 0xa0, 0x01];
            byte[] macB = [0x02, 0, 0, 0, 0xb0, 0x02];
            byte[][] frames =
            [
                Arp(macA, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 1),
                Arp(macB, macA, 2),
                Udp(macA, macB, 100),
                Udp(macB, macA, 1000),
            ];
            a.Send(frames[0]);
            a.Kick();
            b.Send(frames[1]);
            b.Kick();
            a.Send(frames[2]);
            a.Kick();
            b.Send(frames[3]);
            b.Kick();

            (int code, _, string stderr) = await capture.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(code == 0, stderr);
            Assert.Contains("4 frames captured", stderr, StringComparison.Ordinal);

            (code, string fields, stderr) = Tool.Run("tshark", "-r", file, "-T", "fields", "-e", "frame.len", "-e", "eth.src", "-e", "eth.dst", "-e", "_ws.col.Protocol");
            Assert.True(code == 0, stderr);
            string[] lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(
                [
                    $"{frames[0].Length}\t02:00:00:00:a0:01\tff:ff:ff:ff:ff:ff\tARP",
                    $"{frames[1].Length}\t02:00:00:00:b0:02\t02:00:00:00:a0:01\tARP",
                    $"{frames[2].Length}\t02:00:00:00:a0:01\t02:00:00:00:b0:02\tUDP",
                    $"{frames[3].Length}\t02:00:00:00:b0:02\t02:00:00:00:a0:01\tUDP",
                ],
                lines);

            // And the UDP payloads' bytes, as tshark decodes them.
            (code, string payloads, stderr) = Tool.Run("tshark", "-r", file, "-Y", "udp", "-T", "fields", "-e", "udp.payload");
            Assert.True(code == 0, stderr);
            Assert.Equal([Convert.ToHexStringLower(frames[2].AsSpan(42)), Convert.ToHexStringLower(frames[3].AsSpan(42))], payloads.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static byte[] Arp(byte[] source, byte[] destination, ushort operation)
    {
        byte[] frame = new byte[42];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x08;
        frame[13] = 0x06;
        byte[] body = [0, 1, 0x08, 0, 6, 4, 0, (byte)operation];
        body.CopyTo(frame, 14);
        source.CopyTo(frame, 22);
        frame[28] = 10;
        frame[31] = (byte)operation;
        frame[38] = 10;
        frame[41] = (byte)(3 - operation);
        return frame;
    }

    private static byte[] Udp(byte[] source, byte[] destination, int payload)
    {
        byte[] frame = new byte[14 + 20 + 8 + payload];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x08;
        frame[14] = 0x45;
        int ipLength = 20 + 8 + payload;
        frame[16] = (byte)(ipLength >> 8);
        frame[17] = (byte)ipLength;
        frame[22] = 64;
        frame[23] = 17;
        frame[26] = 10;
        frame[29] = 1;
        frame[30] = 10;
        frame[33] = 2;
        frame[34] = 0x30;
        frame[35] = 0x39;
        frame[36] = 0x30;
        frame[37] = 0x3a;
        frame[38] = (byte)((8 + payload) >> 8);
        frame[39] = (byte)(8 + payload);
        for (int i = 42; i < frame.Length; i++)
        {
            frame[i] = (byte)(i * 7);
        }

        return frame;
    }
}
