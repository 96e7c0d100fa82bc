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

                // Each round starts with the next subject, so that none always follows the same one
                // (the descriptor calls leave the caches and the kernel's deferred closes to whoever
                // runs next: always the module call, when the order was fixed).
                (List<long[]> Samples, Action RoundTrip)[] subjects =
                [
                    (call, () => client.CallModule(entry, 0, 0)),
                    (nop, client.Nop),
                    (raw, echo.Client.RoundTrip),
                    (descriptors, TwoWays),
                ];
                for (int round = 0; round < Rounds; round++)
                {
                    for (int k = 0; k < subjects.Length; k++)
                    {
                        (List<long[]> samples, Action roundTrip) = subjects[(round + k) % subjects.Length];
                        samples.Add(Latency.Sample(perRound, roundTrip, longWarmUp: round == 0));
                    }
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
        // Enough calls that the dispatcher's code reaches tier 1 (200,000 run mostly unoptimized: 1.0 µs a call instead of 0.3).
        (double nopNanos, double callNanos) = DispatchInProcess(iterations * 100);
        results.Add(new("module_call_dispatch_in_process", callNanos / 1000.0, "us", "nop_dispatch_in_process", nopNanos / 1000.0));
        return results;
    }

    /// <summary>
    /// The daemon's side alone, in this process: the dispatcher answering a no-op request and a
    /// call of an in-process module's no-op entry point (header checks, the call's descriptor set,
    /// the loader's lookup, the entry point, the reply header), interleaved, in ns per request.
    /// </summary>
    private static (double Nop, double Call) DispatchInProcess(int iterations)
    {
        string runDir = Path.Combine(Path.GetTempPath(), "unused");
        using var driver = new SupHost.Driver.SupDriver(new SupHost.Driver.DriverOptions { RunDirectory = runDir }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var session = new SupHost.Driver.Session(1, false, new SupHost.Native.PeerCredentials(Environment.ProcessId, 0, 0), [0], 42) { Handshaken = true };
        Check(driver.Modules.OpenInProcess(session, "bench-nop", typeof(NopModule), null, out ModuleOpenReply opened, out string? message), message);
        Check(driver.Modules.Load(session, opened.Handle, pin: false, out message), message);
        Check(driver.Modules.GetSymbol(session, opened.Handle, "Nop", out ulong symbol, out message), message);

        byte[] nop = new byte[ProtocolConstants.HeaderSize];
        MessageHeader.ForRequest(42, SupFunction.Nop, 0, 0, 1).Write(nop);
        byte[] call = new byte[ProtocolConstants.HeaderSize + ModuleCallRequest.FixedSize];
        MessageHeader.ForRequest(42, SupFunction.ModuleCall, ModuleCallRequest.FixedSize, 0, 2).Write(call);
        new ModuleCallRequest(symbol, 0, 0).Write(call.AsSpan(ProtocolConstants.HeaderSize));
        byte[] reply = new byte[ProtocolConstants.HeaderSize + driver.Dispatcher.MaxOutputSize];

        double Time(byte[] request, int count)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                driver.Dispatcher.Process(session, request, request.Length, null, false, reply, out _, out _);
            }

            return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalNanoseconds / count;
        }

        // Warm both up, and make sure the call succeeds (a refusal would be timed otherwise).
        Time(nop, iterations / 10);
        Time(call, iterations / 10);
        if (MessageHeader.Read(reply).Status != SupStatus.Success)
        {
            throw new InvalidOperationException($"the in-process module call answered {MessageHeader.Read(reply).Status}");
        }

        var nops = new List<double>();
        var calls = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            nops.Add(Time(nop, iterations / 5));
            calls.Add(Time(call, iterations / 5));
        }

        return (nops.Order().ElementAt(2), calls.Order().ElementAt(2));
    }

    private static void Check(SupStatus status, string? message)
    {
        if (status != SupStatus.Success)
        {
            throw new InvalidOperationException($"{status}: {message}");
        }
    }

    /// <summary>A module of this process with one no-op entry point, for the in-process figure.</summary>
    internal sealed class NopModule : SupHost.Abi.ISupModule
    {
        public void Initialize(SupHost.Abi.IModuleHost host)
        {
        }

        public void Terminate()
        {
        }

        [SupHost.Abi.SupEntryPoint]
        public static int Nop(ref SupHost.Abi.ModuleCall call) => 0;
    }
}
