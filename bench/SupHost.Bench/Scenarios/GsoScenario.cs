using System.Buffers.Binary;
using System.Diagnostics;
using SupHost.IntNet.Format;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// gso: MB/s of the Internet checksum over 64 KiB, of the fused copy-and-sum, and of cutting a
/// 64 KiB TCP/IPv4 super-frame into 1448-byte segments (46 segments, each with its IPv4 and TCP
/// checksums), next to a plain memcpy of the same 64 KiB (Span.CopyTo) as the floor, in
/// interleaved rounds of one run on CPU 0. The bytes stay in the caches, as a frame the switch
/// just copied out of a ring does: these are compute figures, not memory bandwidth.
/// </summary>
internal static class GsoScenario
{
    private const int Rounds = 7;
    private const int FrameLength = 65_536;
    private const int Headers = 14 + 20 + 20;
    private const ushort MaxSegment = 1448;

    public static List<Measurement> Run(int iterations)
    {
        // --iterations counts round trips elsewhere; one 64 KiB pass costs a few microseconds.
        int passes = Math.Max(2_000, iterations / 4);
        Affinity.PinMainThread(0);
        byte[] frame = BuildFrame(out GsoContext context);
        byte[] destination = new byte[FrameLength];
        byte[] segment = new byte[context.MaxSegmentFrameLength];
        if (!GsoSegmenter.TryCreate(context, frame, out GsoSegmenter probe) || probe.SegmentCount != 46)
        {
            throw new InvalidOperationException("the benchmark frame does not cut into 46 segments");
        }

        var checksum = new List<double>();
        var copyAndSum = new List<double>();
        var segmenting = new List<double>();
        var memcpy = new List<double>();
        ushort sink = 0;
        for (int round = 0; round < Rounds; round++)
        {
            memcpy.Add(MegabytesPerSecond(passes, () => frame.AsSpan().CopyTo(destination)));
            checksum.Add(MegabytesPerSecond(passes, () => sink ^= Checksum.Sum(frame)));
            copyAndSum.Add(MegabytesPerSecond(passes, () => sink ^= Checksum.CopyAndSum(frame, destination)));
            segmenting.Add(MegabytesPerSecond(passes, () =>
            {
                GsoSegmenter.TryCreate(context, frame, out GsoSegmenter segmenter);
                for (int i = 0; i < segmenter.SegmentCount; i++)
                {
                    segmenter.WriteSegment(i, segment);
                }

                sink ^= segment[^1];
            }));
        }

        GC.KeepAlive(sink);
        double floor = Median(memcpy);
        return
        [
            new("checksum_64k", Median(checksum), "MB/s", "memcpy_64k", floor),
            new("copy_and_checksum_64k", Median(copyAndSum), "MB/s", "memcpy_64k", floor),
            new("gso_segment_64k_tcp_1448", Median(segmenting), "MB/s", "memcpy_64k", floor),
        ];
    }

    /// <summary>Ethernet + IPv4 + TCP headers and 65,482 bytes of payload: exactly 64 KiB.</summary>
    private static byte[] BuildFrame(out GsoContext context)
    {
        byte[] frame = new byte[FrameLength];
        new Random(1).NextBytes(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 0x4000); // DF, not a fragment
        frame[22] = 64;
        frame[23] = 6;
        frame[34 + 12] = 0x50;
        frame[34 + 13] = 0x18;
        context = new GsoContext(GsoType.IPv4Tcp, Headers, MaxSegment, 14, 34, Headers);
        return frame;
    }

    private static double MegabytesPerSecond(int passes, Action pass)
    {
        for (int i = 0; i < passes / 10; i++)
        {
            pass();
        }

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < passes; i++)
        {
            pass();
        }

        return (double)passes * FrameLength / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e6;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
