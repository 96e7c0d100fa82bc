using SupHost.Client;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// intnet-qemu: iperf3 TCP (5 s) between two QEMU guests (TCG) through an IntNet network, each on
/// a stream port of the network's <c>--stream</c> back-end, next to the same two guests linked
/// directly by QEMU (<c>-netdev stream</c>, one listening, one connecting), in one run. The guests
/// and the daemon float over every CPU: two TCG guests need them.
/// </summary>
internal static class QemuScenario
{
    private const int Seconds = 5;
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(240);

    public static List<Measurement> Run(int iterations)
    {
        _ = iterations;
        (string Kernel, string Initrd) image = BenchGuest.Image();
        string directory = Directory.CreateTempSubdirectory("suphost-bench-qemu-").FullName;
        try
        {
            string direct = Path.Combine(directory, "direct.sock");
            double directRate = Pair(image, $"stream,server=on,addr.type=unix,addr.path={direct}", $"stream,server=off,addr.type=unix,addr.path={direct}", () => File.Exists(direct));

            double intnetRate;
            using (var daemon = new BenchDaemon(null))
            using (SupClient client = daemon.Connect())
            {
                string listen = Path.Combine(directory, "intnet.sock");
                client.CreateIntNetNetwork(new IntNetOpenOptions { Network = "bench-qemu" }, persistent: true);
                client.AddIntNetQemu("bench-qemu", new IntNetQemuOptions { Kind = IntNetQemuKind.StreamListen, Path = listen });
                string netdev = $"stream,server=off,addr.type=unix,addr.path={listen}";
                intnetRate = Pair(image, netdev, netdev, () => true);
                Console.Error.WriteLine(client.ShowIntNetNetwork("bench-qemu"));
            }

            return [new("iperf3_tcp_intnet_stream", intnetRate, "Mbit/s", "iperf3_tcp_direct_stream", directRate)];
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The server guest on <paramref name="serverNetdev"/>, then (once <paramref name="serverUp"/>) the client; the client's receiver rate.</summary>
    private static double Pair((string Kernel, string Initrd) image, string serverNetdev, string clientNetdev, Func<bool> serverUp)
    {
        using BenchGuest server = BenchGuest.Start(image, serverNetdev, "52:54:00:5e:09:02", "10.0.9.2/24", "iperf3 -s -1");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!serverUp())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("the listening guest made no socket in 30 s");
            }

            Thread.Sleep(10);
        }

        using BenchGuest guest = BenchGuest.Start(image, clientNetdev, "52:54:00:5e:09:01", "10.0.9.1/24",
            $"n=0; until ping -c 1 -W 1 10.0.9.2 >/dev/null; do n=$((n+1)); [ $n -lt 90 ] || exit 99; done; iperf3 -c 10.0.9.2 -t {Seconds}");
        string console = guest.WaitForExit(s_limit);
        _ = server.WaitForExit(s_limit);
        double rate = BenchGuest.ReceiverMegabits(console);
        Console.Error.WriteLine($"{serverNetdev}: {rate:F0} Mbit/s");
        return rate;
    }
}
