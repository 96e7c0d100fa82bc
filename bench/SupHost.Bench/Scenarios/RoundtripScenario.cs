using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SupHost.Client;
using SupHost.Driver;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// roundtrip: p50/p99 of a no-op request through supd, next to a raw SOCK_SEQPACKET ping-pong of the
/// same 40-byte message between two processes, in C (the floor) and in C#, all in one run; first
/// with both ends pinned to CPU 0 (the headline), then across CPUs 0 and 1 (mostly vCPU wake-up on
/// these VMs). Also the dispatcher alone, in process, to show what the socket costs.
/// </summary>
internal static class RoundtripScenario
{
    private const int MessageSize = ProtocolConstants.HeaderSize;

    /// <summary>Rounds per placement: the three subjects take turns, so drift in the VM hits them alike.</summary>
    private const int Rounds = 5;

    public static List<Measurement> Run(int iterations)
    {
        var results = new List<Measurement>();
        using NativeFloor? pingpong = NativeFloor.Build("pingpong.c");
        int perRound = Math.Max(100, iterations / Rounds);
        foreach ((string suffix, int serverCpu, int clientCpu) in new[] { (string.Empty, 0, 0), ("_cross_cpu", 1, 0) })
        {
            Affinity.PinMainThread(clientCpu);
            var c = new List<long[]>();
            var csharp = new List<long[]>();
            var supd = new List<long[]>();
            using (var echo = new EchoProcess(serverCpu))
            using (var daemon = new BenchDaemon(serverCpu))
            using (SupClient client = daemon.Connect())
            {
                for (int round = 0; round < Rounds; round++)
                {
                    if (pingpong is not null)
                    {
                        c.Add(pingpong.Run(perRound, serverCpu, clientCpu, MessageSize));
                    }

                    csharp.Add(Latency.Sample(perRound, echo.Client.RoundTrip, longWarmUp: round == 0));
                    supd.Add(Latency.Sample(perRound, client.Nop, longWarmUp: round == 0));
                }
            }

            long[] floor = pingpong is null ? Latency.Merge(csharp) : Latency.Merge(c);
            string anchor = pingpong is null ? "raw_cs_seqpacket" : "raw_c_seqpacket";
            long[] cs = Latency.Merge(csharp);
            long[] sd = Latency.Merge(supd);
            foreach ((string p, double q) in new[] { ("p50", 0.5), ("p99", 0.99) })
            {
                results.Add(new($"supd_nop_{p}{suffix}", Latency.PercentileMicros(sd, q), "us", $"{anchor}_{p}{suffix}", Latency.PercentileMicros(floor, q)));
                if (pingpong is not null)
                {
                    results.Add(new($"raw_cs_seqpacket_{p}{suffix}", Latency.PercentileMicros(cs, q), "us", $"{anchor}_{p}{suffix}", Latency.PercentileMicros(floor, q)));
                }
            }
        }

        Affinity.PinMainThread(0);
        double supdP50 = results[0].Value;
        results.Add(new("dispatch_nop_in_process", DispatchNanos(iterations * 10) / 1000.0, "us", "supd_nop_p50", supdP50));
        return results;
    }

    private static double DispatchNanos(int iterations)
    {
        string runDir = Path.Combine(Path.GetTempPath(), "unused");
        using var driver = new SupDriver(new DriverOptions { RunDirectory = runDir }, NullLoggerFactory.Instance);
        var session = new Session(1, false, new PeerCredentials(Environment.ProcessId, 0, 0), [0], 42) { Handshaken = true };
        byte[] request = new byte[ProtocolConstants.HeaderSize];
        MessageHeader.ForRequest(42, SupFunction.Nop, 0, 0, 1).Write(request);
        byte[] reply = new byte[ProtocolConstants.HeaderSize + driver.Dispatcher.MaxOutputSize];
        for (int i = 0; i < iterations / 10; i++)
        {
            driver.Dispatcher.Process(session, request, request.Length, null, false, reply, out _, out _);
        }

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
        {
            driver.Dispatcher.Process(session, request, request.Length, null, false, reply, out _, out _);
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
    }
}
