using System.CommandLine;
using SupHost.IntNet.Format;
using SupHost.Protocol;
using Supctl.Commands;

namespace SupHost.Client.Tests;

/// <summary>
/// supctl net without a daemon: its arguments (the policy options become the original's flag bits,
/// REFERENCE.md §8), and its tables rendered from listings shaped as docs/intnet.md's spec gives them.
/// </summary>
public class SupctlNetTests
{
    private const string ListJson = """
        {"networks":[
          {"name":"lab","trunkType":"none","trunk":"","flags":2228368,"persistent":true,"ownerUid":0,
           "created":"2026-12-01T23:00:00Z","policy":{"access":"restricted","promiscuousClients":"allow","promiscuousTrunkHost":"allow",
           "promiscuousTrunkWire":"allow","trunkHost":"enabled","trunkHostMode":"chaste","trunkWire":"enabled","trunkWireMode":"chaste",
           "sharedMacOnWire":false,"fixed":[]},"portCount":3,"activePorts":2,"capturing":1},
          {"name":"bridge0","trunkType":"netflt","trunk":"eth0","flags":16,"persistent":false,"ownerUid":1000,
           "created":"2026-12-01T23:05:00Z","policy":{"access":"public"},"portCount":1,"activePorts":1,"capturing":0}]}
        """;

    private const string ShowJson = """
        {"name":"lab","trunkType":"none","trunk":null,"flags":2228368,"persistent":true,"ownerUid":0,"created":"2026-12-01T23:00:00Z",
         "policy":{"access":"restricted","promiscuousClients":"deny","promiscuousTrunkHost":"allow","promiscuousTrunkWire":"allow",
           "trunkHost":"enabled","trunkHostMode":"chaste","trunkWire":"enabled","trunkWireMode":"chaste","sharedMacOnWire":false,"fixed":["access","trunk"]},
         "portCount":2,"activePorts":1,"capturing":0,
         "ports":[
           {"id":1,"kind":"interface","sessionId":5,"processId":1234,"mac":"02:00:00:00:00:01","macSet":true,"active":true,"promiscuous":false,
            "promiscuousRequested":true,"gso":true,"counters":{"framesIn":10,"bytesIn":1400,"framesOut":7,"bytesOut":980,"lost":2,"bad":1}},
           {"id":2,"kind":"interface","sessionId":6,"processId":1300,"mac":"ff:ff:ff:ff:ff:ff","macSet":false,"active":false,"promiscuous":false,
            "promiscuousRequested":false,"gso":false,"counters":{"framesIn":0,"bytesIn":0,"framesOut":0,"bytesOut":0,"lost":0,"bad":0}}],
         "counters":{"switched":17,"dropped":3,"tooShort":1,"bad":1,"captureLost":0}}
        """;

    [Fact]
    public void Net_list_renders_one_row_per_network_and_counts_networks_and_ports()
    {
        string[] lines = NetRender.List(ListJson).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Equal(["lab", "none", "restricted", "3", "2", "1", "yes", "0", "2026-12-01T23:00:00Z"], Cells(lines[1]));
        Assert.Equal(["bridge0", "netflt:eth0", "public", "1", "1", "0", "no", "1000", "2026-12-01T23:05:00Z"], Cells(lines[2]));
        Assert.Equal((2, 4L), NetRender.Count(ListJson));
        Assert.Equal((0, 0L), NetRender.Count("""{"networks":[]}"""));
        Assert.Single(NetRender.List("""{"networks":[]}""").Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Net_show_renders_the_policy_counters_and_a_port_table()
    {
        string text = NetRender.Show(ShowJson);
        Assert.Contains("network         lab", text, StringComparison.Ordinal);
        Assert.Contains("flags           0x00220090", text, StringComparison.Ordinal);
        Assert.Contains("promiscuous     clients deny, trunk host allow, trunk wire allow", text, StringComparison.Ordinal);
        Assert.Contains("fixed           access, trunk", text, StringComparison.Ordinal);
        Assert.Contains("switched        17 frames, 3 dropped, 1 too short, 1 bad, 0 lost by captures", text, StringComparison.Ordinal);
        Assert.DoesNotContain("trunk port", text, StringComparison.Ordinal);
        string[] rows = [.. text.Split(Environment.NewLine).SkipWhile(l => !l.StartsWith("PORT", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0)];
        Assert.Equal(2, rows.Length);
        Assert.Equal(["1", "interface", "5", "1234", "02:00:00:00:00:01", "(set)", "active", "asked", "(denied)", "yes", "10/1400", "7/980", "2", "1"], Cells(rows[0]));
        Assert.Equal(["2", "interface", "6", "1300", "ff:ff:ff:ff:ff:ff", "inactive", "no", "no", "0/0", "0/0", "0", "0"], Cells(rows[1]));

        // --json prints the module's document, re-indented, fields untouched.
        Assert.Equal(System.Text.Json.JsonDocument.Parse(ShowJson).RootElement.GetProperty("ports")[0].GetProperty("mac").GetString(),
            System.Text.Json.JsonDocument.Parse(NetRender.Indented(ShowJson)).RootElement.GetProperty("ports")[0].GetProperty("mac").GetString());
    }

    [Fact]
    public void Net_create_options_become_the_original_flag_bits()
    {
        ParseResult parse = NetCommand.Create().Parse(["create", "lab", "--access", "restricted", "--promisc-clients", "deny", "--fixed", "access,trunk", "--flags", "0x80000000"]);
        Assert.Empty(parse.Errors);

        // REFERENCE.md §8: ACCESS_RESTRICTED bit 5, PROMISC_DENY_CLIENTS bit 8, ACCESS_FIXED bit 3, TRUNK_FIXED bit 18, WORKAROUND_1 bit 31.
        Assert.Equal(0x80040128u, (uint)NetCommand.Flags(parse));

        parse = NetCommand.Create().Parse(["create", "lab", "--trunk-host", "disabled", "--trunk-wire-mode", "promiscuous", "--promisc-trunk-wire", "allow", "--shared-mac-on-wire", "--fixed", "promiscuous", "--fixed", "interface"]);
        Assert.Empty(parse.Errors);

        // TRUNK_HOST_DISABLED 20, TRUNK_WIRE_PROMISC_MODE 26, PROMISC_ALLOW_TRUNK_WIRE 11, SHARED_MAC_ON_WIRE 0, PROMISC_FIXED 6, IF_FIXED 13.
        Assert.Equal((1u << 20) | (1u << 26) | (1u << 11) | 1u | (1u << 6) | (1u << 13), (uint)NetCommand.Flags(parse));
        Assert.Equal(IntNetTrunkType.NetAdp, NetCommand.Trunk("netadp"));
        Assert.Equal(4, (int)NetCommand.Trunk("netadp"));
        Assert.Equal(IntNetTrunkType.None, NetCommand.Trunk(null));

        foreach (string[] wrong in (string[][])[["--access", "open"], ["--fixed", "everything"], ["--flags", "zz"], ["--trunk-host-mode", "loud"]])
        {
            ParseResult bad = NetCommand.Create().Parse(["create", "lab", .. wrong]);
            Assert.Empty(bad.Errors);
            SupException ex = Assert.Throws<SupException>(() => NetCommand.Flags(bad));
            Assert.Equal(SupStatus.InvalidParameter, ex.Status);
            Assert.Contains(wrong[0], ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => NetCommand.Trunk("vde")).Status);
    }

    [Fact]
    public void Net_capture_takes_its_options_and_refuses_what_is_not_a_number()
    {
        ParseResult parse = NetCommand.Create().Parse(["capture", "lab", "-w", "-", "--count", "5", "--snaplen", "128", "--format", "pcapng"]);
        Assert.Empty(parse.Errors);
        Assert.Equal("-", parse.GetValue(NetCommand.CaptureFile));
        Assert.Equal(5, parse.GetValue(NetCommand.CaptureCount));
        Assert.Equal(128, parse.GetValue(NetCommand.CaptureSnapLength));
        Assert.Equal(CaptureFileFormat.PcapNg, NetCommand.Format(parse.GetValue(NetCommand.CaptureFormat)!));

        parse = NetCommand.Create().Parse(["capture", "lab"]);
        Assert.Empty(parse.Errors);
        Assert.Null(parse.GetValue(NetCommand.CaptureCount));
        Assert.Equal(65535, parse.GetValue(NetCommand.CaptureSnapLength));
        Assert.Equal(CaptureFileFormat.Pcap, NetCommand.Format(parse.GetValue(NetCommand.CaptureFormat)!));

        Assert.NotEmpty(NetCommand.Create().Parse(["capture"]).Errors);
        Assert.NotEmpty(NetCommand.Create().Parse(["capture", "lab", "--count", "many"]).Errors);
        Assert.NotEmpty(NetCommand.Create().Parse(["show"]).Errors);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => NetCommand.Format("erf")).Status);
    }

    [Fact]
    public void A_captured_frame_prints_as_one_line()
    {
        byte[] entry = new byte[IntNetCaptureRecord.HeaderSize + 60];
        byte[] frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xff);
        byte[] source = [0x02, 0x00, 0x00, 0x00, 0x00, 0x07];
        source.CopyTo(frame, 6);
        frame[12] = 0x08;
        frame[13] = 0x06;
        int length = IntNetCaptureRecord.Write(entry, 1_764_633_600_123_456_789, 1514, 3, frame);
        Assert.True(IntNetCaptureRecord.TryParse(entry.AsSpan(0, length), out IntNetCaptureRecord record));
        Assert.Equal("2025-12-02T00:00:00.123456789Z port 3 02:00:00:00:00:07 > ff:ff:ff:ff:ff:ff type 0x0806 length 1514 (60 captured)", NetCommand.Describe(record));

        length = IntNetCaptureRecord.Write(entry, 0, 60, IntNetCaptureRecord.TrunkWirePort, frame);
        Assert.True(IntNetCaptureRecord.TryParse(entry.AsSpan(0, length), out record));
        Assert.StartsWith("1970-01-01T00:00:00.000000000Z wire ", NetCommand.Describe(record), StringComparison.Ordinal);
        Assert.False(IntNetCaptureRecord.TryParse(entry.AsSpan(0, 15), out _));
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
