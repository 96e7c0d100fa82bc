using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// call: p50/p99 of a call to sample-echo's no-op entry point, next to the daemon's own no-op
/// request and the raw C# SOCK_SEQPACKET ping-pong, in interleaved rounds of one run; both ends on
/// CPU 0 (the headline), then across CPUs. The bar is the module call within 1.1x of the no-op request.
/// Beside them, a call whose request carries two descriptors (eventfds) and whose reply carries
/// them back (<c>EchoDescriptors</c>): the cost of passing descriptors both ways, SCM_RIGHTS and
/// the daemon's accounting of them, next to the plain call of the same run.
/// </summary>
internal static class CallScenario
{
    private const int Rounds = 10;

    public static List<Measurement> Run(int iterations)
    {
        var results = new List<Measurement>();
        int perRound = Math.Max(100, iterations / Rounds);
        foreach ((string suffix, int serverCpu, int clientCpu) in new[] { (string.Empty, 0, 0), ("_cross_cpu", 1, 0) })
        {
            Affinity.PinMainThread(clientCpu);
            var call = new List<long[]>();
            var nop = new List<long[]>();
            var raw = new List<long[]>();
            var descriptors = new List<long[]>();
            using (var echo = new EchoProcess(serverCpu))
            using (var daemon = new BenchDaemon(serverCpu))
            using (SupClient client = daemon.Connect())
            {
                ModuleOpenReply module = client.OpenModule("sample-echo");
                client.LoadModule(module.Handle);
                ulong entry = client.GetSymbol(module.Handle, "Nop");
                ulong echoDescriptors = client.GetSymbol(module.Handle, "EchoDescriptors");
                SupHost.Native.SafeFd[] pair = [SupHost.Native.Libc.CreateEvent(), SupHost.Native.Libc.CreateEvent()];
                void TwoWays()
                {
                    client.CallModule(echoDescriptors, 0, 0, ReadOnlySpan<byte>.Empty, 0, pair, out IReadOnlyList<SupHost.Native.SafeFd> back);
                    foreach (SupHost.Native.SafeFd fd in back)
                    {
                        fd.Dispose();
                    }
                }

                for (int round = 0; round < Rounds; round++)
                {
                    call.Add(Latency.Sample(perRound, () => client.CallModule(entry, 0, 0), longWarmUp: round == 0));
                    nop.Add(Latency.Sample(perRound, client.Nop, longWarmUp: round == 0));
                    raw.Add(Latency.Sample(perRound, echo.Client.RoundTrip, longWarmUp: round == 0));
                    descriptors.Add(Latency.Sample(perRound, TwoWays, longWarmUp: round == 0));
                }

                foreach (SupHost.Native.SafeFd fd in pair)
                {
                    fd.Dispose();
                }
            }

            long[] c = Latency.Merge(call);
            long[] n = Latency.Merge(nop);
            long[] r = Latency.Merge(raw);
            long[] d = Latency.Merge(descriptors);
            foreach ((string p, double q) in new[] { ("p50", 0.5), ("p99", 0.99) })
            {
                results.Add(new($"module_call_nop_{p}{suffix}", Latency.PercentileMicros(c, q), "us", $"supd_nop_{p}{suffix}", Latency.PercentileMicros(n, q)));
                results.Add(new($"module_call_nop_vs_raw_{p}{suffix}", Latency.PercentileMicros(c, q), "us", $"raw_cs_seqpacket_{p}{suffix}", Latency.PercentileMicros(r, q)));
                results.Add(new($"module_call_2_descriptors_each_way_{p}{suffix}", Latency.PercentileMicros(d, q), "us", $"module_call_nop_{p}{suffix}", Latency.PercentileMicros(c, q)));
            }
        }

        Affinity.PinMainThread(0);
        return results;
    }
}
