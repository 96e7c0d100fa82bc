using System.Diagnostics;
using SupHost.Native;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// intnet-frames: Ethernet frames between two client processes (this one and a child,
/// <see cref="FramePeer"/>) through IntNet's switch, next to the floor: the same two processes
/// exchanging the same frames over a pair of shared-memory rings with eventfd doorbells and no
/// switch (<see cref="RingFramePort"/>). At 64, 1514 and 65,535 bytes: the frame rate one way (the
/// child acknowledges every few frames; the sender keeps at most half a receive ring in flight, so
/// nothing is lost and both subjects run under the same flow control), and the round trip of one
/// frame echoed back (p50, p99). Everything on CPU 0, then the child and the daemon on CPU 1.
/// Subjects alternate in rounds; the figure of each is the median of its rounds' rates.
/// </summary>
internal static class IntNetFramesScenario
{
    private const int Rounds = 3;
    private const string Network = "bench-frames";
    private static readonly int[] Sizes = [64, 1514, 65535];

    public static List<Measurement> Run(int iterations)
    {
        var results = new List<Measurement>();
        foreach ((string suffix, int serverCpu, int clientCpu) in new[] { (string.Empty, 0, 0), ("_cross_cpu", 1, 0) })
        {
            var rates = Sizes.ToDictionary(s => s, _ => (Switch: new List<double>(), Floor: new List<double>()));
            var trips = Sizes.ToDictionary(s => s, _ => (Switch: new List<long[]>(), Floor: new List<long[]>()));
            using (var daemon = new BenchDaemon(serverCpu))
            using (var peer = new PeerProcess(serverCpu))
            {
                Affinity.PinMainThread(clientCpu);
                for (int round = 0; round < Rounds; round++)
                {
                    foreach (int size in Sizes)
                    {
                        int frames = FramesFor(size, iterations);
                        int trips1 = Math.Max(200, size > 10_000 ? iterations / 4 : iterations);
                        bool warm = round == 0;
                        using (var port = new SwitchFramePort(daemon.RunDir, Network, FrameExchange.ParentMac))
                        {
                            peer.Start($"switch {daemon.RunDir} {Network}");
                            (double rate, long[] rtt) = Exchange(port, size, frames, trips1, warm);
                            peer.Stop(port, frames);
                            rates[size].Switch.Add(rate);
                            trips[size].Switch.Add(rtt);
                            IntNetCountersCheck(port);
                        }

                        using (RingFramePort floor = RingFramePort.CreateParent())
                        {
                            peer.Start("floor", floor.Descriptors);
                            (double rate, long[] rtt) = Exchange(floor, size, frames, trips1, warm);
                            peer.Stop(floor, frames);
                            rates[size].Floor.Add(rate);
                            trips[size].Floor.Add(rtt);
                        }
                    }
                }
            }

            foreach (int size in Sizes)
            {
                results.Add(new($"intnet_frames_per_s_{size}{suffix}", Median(rates[size].Switch) / 1000, "kfps", $"ring_floor_frames_per_s_{size}{suffix}", Median(rates[size].Floor) / 1000));
                long[] s = Latency.Merge(trips[size].Switch);
                long[] f = Latency.Merge(trips[size].Floor);
                foreach ((string p, double q) in new[] { ("p50", 0.5), ("p99", 0.99) })
                {
                    results.Add(new($"intnet_rtt_{p}_{size}{suffix}", Latency.PercentileMicros(s, q), "us", $"ring_floor_rtt_{p}_{size}{suffix}", Latency.PercentileMicros(f, q)));
                }
            }
        }

        Affinity.PinMainThread(0);
        return results;
    }

    /// <summary>Frames per throughput run: about the same bytes' worth of work at each size, at least a few thousand frames.</summary>
    private static int FramesFor(int size, int iterations) => size switch
    {
        <= 128 => iterations * 10,
        <= 2048 => iterations * 5,
        _ => Math.Max(2000, iterations / 2),
    };

    /// <summary>
    /// The frame rate of <paramref name="frames"/> frames one way, then <paramref name="roundTrips"/>
    /// echoed round trips. The window: at most half of what the receiver's ring holds is in flight;
    /// every quarter of it asks for an acknowledgement.
    /// </summary>
    private static (double Rate, long[] RoundTrips) Exchange(IFramePort port, int size, int frames, int roundTrips, bool warmUp)
    {
        byte[] frame = new byte[size];
        byte[] reply = new byte[FrameExchange.LargestFrame];
        FrameExchange.Prepare(frame, FrameExchange.ChildMac, FrameExchange.ParentMac);
        int entry = ((size + 7) & ~7) + 8;
        int window = Math.Max(1, RingFramePort.RingSize / entry / 2);
        int ackEvery = Math.Max(1, window / 4);

        if (warmUp)
        {
            // Both ends' data paths reach tier-1 code before anything is timed.
            long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
            while (Stopwatch.GetTimestamp() < until)
            {
                Stream(port, frame, reply, Math.Min(frames, 2000), window, ackEvery);
            }
        }

        long start = Stopwatch.GetTimestamp();
        Stream(port, frame, reply, frames, window, ackEvery);
        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;

        FrameExchange.Mark(frame, FrameExchange.Echo, 0);
        long[] rtt = Latency.Sample(
            roundTrips,
            () =>
            {
                port.Send(frame);
                port.Receive(reply);
            },
            longWarmUp: warmUp);
        return (frames / seconds, rtt);
    }

    private static void Stream(IFramePort port, byte[] frame, byte[] reply, int frames, int window, int ackEvery)
    {
        long acked = -1;
        for (int i = 0; i < frames; i++)
        {
            while (i - acked > window)
            {
                acked = AwaitAck(port, reply);
            }

            bool ask = (i + 1) % ackEvery == 0 || i == frames - 1;
            FrameExchange.Mark(frame, ask ? FrameExchange.DataAck : FrameExchange.Data, i);
            port.Send(frame);
        }

        while (acked < frames - 1)
        {
            acked = AwaitAck(port, reply);
        }
    }

    private static long AwaitAck(IFramePort port, byte[] reply)
    {
        while (true)
        {
            int length = port.Receive(reply);
            if (length >= FrameExchange.SequenceOffset + 8 && reply[FrameExchange.CommandOffset] == FrameExchange.Ack)
            {
                return FrameExchange.Sequence(reply);
            }
        }
    }

    private static void IntNetCountersCheck(SwitchFramePort port)
    {
        SupHost.Client.IntNetCounters counters = port.Counters;
        if (counters.Lost != 0)
        {
            Console.Error.WriteLine($"intnet-frames: the switch lost {counters.Lost} frames into the parent's ring");
        }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    /// <summary>The child process, pinned, and the control connection to it.</summary>
    private sealed class PeerProcess : IDisposable
    {
        private readonly string _dir;
        private readonly Process _process;
        private readonly SafeFd _listener;
        private readonly SafeFd _control;

        public PeerProcess(int cpu)
        {
            _dir = Directory.CreateTempSubdirectory("suphost-frames-").FullName;
            string path = Path.Combine(_dir, "control.sock");
            _listener = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
            Libc.Bind(_listener, path);
            Libc.Listen(_listener, 1);
            _process = Process.Start(Affinity.Pinned(cpu, "dotnet", Path.Combine(AppContext.BaseDirectory, "SupHost.Bench.dll"), "--frames-peer", path))!;
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine("frames peer: " + e.Data);
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            _control = Libc.Accept(_listener);
        }

        /// <summary>Sets the child up for one exchange and waits until it is ready.</summary>
        public void Start(string setup, ReadOnlySpan<SafeFd> fds = default)
        {
            FramePeer.Say(_control, setup, fds);
            string answer = FramePeer.Hear(_control);
            if (answer != "ready")
            {
                throw new InvalidOperationException($"the frames peer answered '{answer}' to '{setup}'");
            }
        }

        /// <summary>Ends the exchange; the child must have counted every data frame sent in it.</summary>
        public void Stop(IFramePort port, int frames)
        {
            byte[] stop = new byte[64];
            FrameExchange.Prepare(stop, FrameExchange.ChildMac, FrameExchange.ParentMac);
            FrameExchange.Mark(stop, FrameExchange.Stop, 0);
            port.Send(stop);
            string counted = FramePeer.Hear(_control);
            if (!long.TryParse(counted, System.Globalization.CultureInfo.InvariantCulture, out long n) || n < frames)
            {
                throw new InvalidOperationException($"the frames peer counted {counted} data frames of at least {frames} sent");
            }
        }

        public void Dispose()
        {
            try
            {
                FramePeer.Say(_control, "quit");
            }
            catch (IOException)
            {
                // It is gone already.
            }

            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }

            _process.Dispose();
            _control.Dispose();
            _listener.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
