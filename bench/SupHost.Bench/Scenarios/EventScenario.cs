using System.Diagnostics;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// event: signal-to-wake latency of event semaphores. A responder thread waits on one event and,
/// woken, signals a second one the measuring thread waits on. Subjects, in interleaved rounds of
/// one run: the client library's events signalled here (a ping-pong, half its round trip), an event
/// signalled by a module (sample-echo's Signal, called through the daemon) timed from the call to
/// the responder's wake-up, and the floor, a blocking eventfd ping-pong between two C processes
/// (half its round trip). Both ends on CPU 0 (the headline), then across CPUs.
/// </summary>
internal static class EventScenario
{
    private const int Rounds = 5;

    public static List<Measurement> Run(int iterations)
    {
        var results = new List<Measurement>();
        using NativeFloor? floor = NativeFloor.Build("eventfd_pingpong.c");
        int perRound = Math.Max(100, iterations / Rounds);
        foreach ((string suffix, int serverCpu, int clientCpu) in new[] { (string.Empty, 0, 0), ("_cross_cpu", 1, 0) })
        {
            var library = new List<long[]>();
            var module = new List<long[]>();
            var nop = new List<long[]>();
            var c = new List<long[]>();
            using (var daemon = new BenchDaemon(serverCpu))
            using (SupClient client = daemon.Connect())
            using (EventSemaphore ping = client.CreateEvent())
            using (EventSemaphore pong = client.CreateEvent())
            {
                ModuleOpenReply echo = client.OpenModule("sample-echo");
                client.LoadModule(echo.Handle);
                ulong signal = client.GetSymbol(echo.Handle, "Signal");

                Affinity.PinMainThread(serverCpu);
                using var responder = new Responder(ping, pong);
                Affinity.PinMainThread(clientCpu);
                for (int round = 0; round < Rounds; round++)
                {
                    library.Add(Halved(Latency.Sample(perRound, () => { ping.Signal(); pong.Wait(-1); }, longWarmUp: round == 0)));
                    module.Add(Latency.SampleMeasured(
                        perRound,
                        () =>
                        {
                            long start = Stopwatch.GetTimestamp();
                            client.CallModule(signal, 0, ping.Handle);
                            pong.Wait(-1);
                            return responder.WokeAt - start;
                        },
                        longWarmUp: round == 0));
                    nop.Add(Latency.Sample(perRound, client.Nop, longWarmUp: round == 0));
                    if (floor is not null)
                    {
                        c.Add(Halved(floor.Run(perRound, serverCpu, clientCpu)));
                    }
                }
            }

            long[] lib = Latency.Merge(library);
            long[] mod = Latency.Merge(module);
            long[] n = Latency.Merge(nop);
            long[] anchor = floor is null ? lib : Latency.Merge(c);
            string anchorName = floor is null ? "event_signal_to_wake" : "raw_c_eventfd_signal_to_wake";
            foreach ((string p, double q) in new[] { ("p50", 0.5), ("p99", 0.99) })
            {
                results.Add(new($"event_signal_to_wake_{p}{suffix}", Latency.PercentileMicros(lib, q), "us", $"{anchorName}_{p}{suffix}", Latency.PercentileMicros(anchor, q)));
                results.Add(new($"module_signal_to_wake_{p}{suffix}", Latency.PercentileMicros(mod, q), "us", $"{anchorName}_{p}{suffix}", Latency.PercentileMicros(anchor, q)));
                results.Add(new($"module_signal_to_wake_vs_nop_{p}{suffix}", Latency.PercentileMicros(mod, q), "us", $"supd_nop_{p}{suffix}", Latency.PercentileMicros(n, q)));
            }
        }

        Affinity.PinMainThread(0);
        return results;
    }

    private static long[] Halved(long[] roundTrips) => roundTrips.Select(t => t / 2).ToArray();

    /// <summary>Waits on <c>ping</c>; woken, notes the time and signals <c>pong</c>. Runs on the CPU of the thread that made it.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly EventSemaphore _ping;
        private readonly EventSemaphore _pong;
        private readonly Thread _thread;
        private long _wokeAt;
        private volatile bool _stop;

        public Responder(EventSemaphore ping, EventSemaphore pong)
        {
            _ping = ping;
            _pong = pong;
            _thread = new Thread(Loop) { IsBackground = true, Name = "event responder" };
            _thread.Start();
        }

        public long WokeAt => Volatile.Read(ref _wokeAt);

        public void Dispose()
        {
            _stop = true;
            _ping.Signal();
            _thread.Join();
        }

        private void Loop()
        {
            while (true)
            {
                _ping.Wait(-1);
                Volatile.Write(ref _wokeAt, Stopwatch.GetTimestamp());
                if (_stop)
                {
                    return;
                }

                _pong.Signal();
            }
        }
    }
}
