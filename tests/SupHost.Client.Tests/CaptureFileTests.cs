using System.Diagnostics;
using System.Globalization;

namespace SupHost.Client.Tests;

/// <summary>
/// Issue 11, item 7: the capture files supctl writes, checked by reading them back with tshark
/// (the Debian package .ci/run installs): each frame's time to the nanosecond, its length on the
/// wire and as captured, its addresses.
/// </summary>
public class CaptureFileTests
{
    private const long Epoch = 1_764_633_600_123_456_789; // 2025-12-02T00:00:00.123456789Z

    public static TheoryData<CaptureFileFormat> Formats => [CaptureFileFormat.Pcap, CaptureFileFormat.PcapNg];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Tshark_reads_back_times_lengths_and_addresses_as_written(CaptureFileFormat format)
    {
        const int Snap = 200;
        var rng = new Random(21);
        var written = new List<(long Time, int Wire, byte[] Frame)>();
        string file = TempFile(format);
        using (CaptureFileWriter writer = CaptureFileWriter.Create(File.Create(file), format, Snap, "lab"))
        {
            for (int i = 0; i < 40; i++)
            {
                // Lengths around the snap length and odd ones (pcapng pads to 4); some frames were
                // longer on the wire than the bytes handed over (as a snapped capture record is).
                int length = i < 10 ? 14 + i : 14 + rng.Next(400);
                byte[] frame = EthernetFrame(rng, length, i);
                int wire = i % 7 == 0 ? length + 1000 : length;
                long time = Epoch + (i * 1_000_000_007L) + i;
                writer.WritePacket(time, wire, frame);
                written.Add((time, wire, frame));
            }

            Assert.Equal(40, writer.PacketsWritten);
        }

        string[] lines = Tshark(file, "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "eth.src", "-e", "eth.dst");
        Assert.Equal(written.Count, lines.Length);
        for (int i = 0; i < written.Count; i++)
        {
            (long time, int wire, byte[] frame) = written[i];
            int captured = Math.Min(frame.Length, Snap);
            string expected = string.Join('\t',
                $"{time / 1_000_000_000}.{time % 1_000_000_000:D9}",
                wire.ToString(CultureInfo.InvariantCulture),
                captured.ToString(CultureInfo.InvariantCulture),
                Mac(frame.AsSpan(6, 6)),
                Mac(frame.AsSpan(0, 6)));
            Assert.Equal(expected, lines[i]);
        }

        // The captured bytes themselves, as tshark dumps them.
        string[] data = Tshark(file, "-e", "frame.number", "-e", "data.data");
        Assert.Equal(Convert.ToHexStringLower(written[30].Frame.AsSpan(14, Math.Min(Snap, written[30].Frame.Length) - 14)), data[30].Split('\t')[1]);
    }

    [Fact]
    public void A_pcapng_file_names_the_network_and_its_nanosecond_resolution()
    {
        string file = TempFile(CaptureFileFormat.PcapNg);
        using (CaptureFileWriter writer = CaptureFileWriter.Create(File.Create(file), CaptureFileFormat.PcapNg, 65535, "lab-net"))
        {
            writer.WritePacket(Epoch, 60, EthernetFrame(new Random(1), 60, 0));
        }

        string[] lines = Tshark(file, "-e", "frame.interface_name", "-e", "frame.len");
        Assert.Equal(["lab-net\t60"], lines);
        Assert.Throws<ArgumentOutOfRangeException>(() => CaptureFileWriter.Create(Stream.Null, CaptureFileFormat.Pcap, 0));
        using CaptureFileWriter pcap = CaptureFileWriter.Create(Stream.Null, CaptureFileFormat.Pcap, 100, leaveOpen: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => pcap.WritePacket(Epoch, 10, new byte[20]));
        Assert.Throws<ArgumentOutOfRangeException>(() => pcap.WritePacket(-1, 20, new byte[20]));
    }

    [Fact]
    public void Records_read_from_a_capture_ring_become_the_frames_tshark_shows()
    {
        const int Snap = 96;
        using var peer = new FakeSwitch(1 << 16, 32);
        using IntNetCapture capture = peer.AttachCapture(Snap);
        var rng = new Random(22);
        var sent = new List<(long Time, int Wire, uint Port, byte[] Frame)>();
        byte[] entry = new byte[IntNetCaptureRecord.HeaderSize + Snap];
        for (int i = 0; i < 30; i++)
        {
            // As the switch writes them: the first Snap bytes of each frame, its whole length, its port.
            byte[] frame = EthernetFrame(rng, 60 + rng.Next(1400), i);
            long time = Epoch + (i * 999_999L);
            uint port = (uint)(1 + (i % 3));
            int length = IntNetCaptureRecord.Write(entry, time, frame.Length, port, frame.AsSpan(0, Math.Min(Snap, frame.Length)));
            Assert.True(peer.Deliver(entry.AsSpan(0, length)));
            sent.Add((time, frame.Length, port, frame));
        }

        // Something that is not a record (shorter than its head) is skipped and counted.
        Assert.True(peer.Deliver(new byte[8]));
        peer.SetLost(5);

        string file = TempFile(CaptureFileFormat.Pcap);
        var ports = new List<uint>();
        using (CaptureFileWriter writer = CaptureFileWriter.Create(File.Create(file), CaptureFileFormat.Pcap, 65535))
        {
            while (capture.TryRead(out IntNetCaptureRecord record))
            {
                ports.Add(record.SourcePort);
                writer.Write(record);
            }
        }

        Assert.Equal(sent.Select(s => s.Port), ports);
        Assert.Equal(1, capture.Malformed);
        Assert.Equal(5ul, capture.Lost);
        Assert.Equal(Protocol.SupStatus.WaitTimedOut, capture.Wait(0));
        string[] lines = Tshark(file, "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "eth.src");
        Assert.Equal(
            sent.Select(s => $"{s.Time / 1_000_000_000}.{s.Time % 1_000_000_000:D9}\t{s.Wire}\t{Math.Min(Snap, s.Frame.Length)}\t{Mac(s.Frame.AsSpan(6, 6))}"),
            lines);
    }

    /// <summary>A frame to a unicast destination from a locally administered source numbered <paramref name="index"/>, EtherType 0x88b5 (local experimental).</summary>
    private static byte[] EthernetFrame(Random rng, int length, int index)
    {
        byte[] frame = new byte[length];
        rng.NextBytes(frame);
        frame[0] = 0x02;
        frame[6] = 0x02;
        frame[7] = 0x00;
        frame[11] = (byte)index;
        frame[12] = 0x88;
        frame[13] = 0xb5;
        return frame;
    }

    private static string Mac(ReadOnlySpan<byte> bytes) => string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static string TempFile(CaptureFileFormat format) =>
        Path.Combine(Path.GetTempPath(), $"suphost-capture-{Guid.NewGuid():N}.{(format == CaptureFileFormat.Pcap ? "pcap" : "pcapng")}");

    /// <summary>Runs <c>tshark -r FILE -T fields ...</c> and returns its lines; fails the test when tshark fails.</summary>
    internal static string[] Tshark(string file, params string[] fields)
    {
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["-r", file, "-T", "fields", .. fields])
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start (.ci/run installs it)");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "tshark did not finish in 60 s");
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark -r {file} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
