using System.Text.Json;
using SupHost.Bench;
using SupHost.Bench.Scenarios;

// dotnet run -c Release --project bench/SupHost.Bench -- <scenario> [--json] [--iterations N]
var scenarios = new Dictionary<string, (string Description, Func<int, List<Measurement>> Run)>
{
    ["roundtrip"] = ("p50/p99 of a no-op request through supd next to a raw SOCK_SEQPACKET ping-pong (C and C#), pinned and across CPUs", RoundtripScenario.Run),
    ["call"] = ("p50/p99 of a module's no-op entry point next to the daemon's no-op request and the raw ping-pong", CallScenario.Run),
    ["pages"] = ("allocate+map+touch+free cycles of shared pages per second next to raw memfd+mmap in process", PagesScenario.Run),
    ["event"] = ("signal-to-wake latency of event semaphores (signalled here and by a module) next to a raw C eventfd ping-pong", EventScenario.Run),
    ["gip"] = ("ns per GIP clock read (one thread, two threads, forced async) next to the ordered TSC read and clock_gettime(CLOCK_MONOTONIC) of the same run, the bars; the deviation from CLOCK_MONOTONIC", GipScenario.Run),
    ["stress"] = ("the lock-out and exhaustion attempts of issue 9 (idle floods, oversized datagrams, one uid taking every page) with numbers; needs root", StressScenario.Run),
    ["load-cycle"] = ("module open+init+term+unload cycles per second next to a raw in-process load context cycle", LoadCycleScenario.Run),
    ["intnet-frames"] = ("frames/s and round-trip p50/p99 at 64, 1514 and 65535 B between two processes through IntNet next to the same processes over a bare shared ring with eventfd doorbells", IntNetFramesScenario.Run),
    ["intnet-qemu"] = ("iperf3 TCP between two QEMU guests through an IntNet network's stream ports next to the same guests linked directly by -netdev stream; needs root and qemu-system-x86", QemuScenario.Run),
    ["intnet-tap"] = ("iperf3 TCP, 64-byte UDP pps and ping RTT between two namespaces through IntNet and two NetAdp TAPs next to a Linux bridge and vde_switch, with the switch's CPU time; needs root", TapScenario.Run),
    ["gso"] = ("MB/s of the Internet checksum and of cutting a 64 KiB TCP super-frame into 1448-byte segments next to a memcpy of the same bytes", GsoScenario.Run),
};

if (args.Length >= 4 && args[0] == "--stress-peer")
{
    return StressPeer.Run(args);
}

if (args.Length == 2 && args[0] == "--frames-peer")
{
    return FramePeer.Run(args[1]);
}

if (args.Length == 2 && args[0] == "--echo-server")
{
    return EchoServer.Run(args[1]);
}

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out var scenario))
{
    Console.Error.WriteLine("usage: SupHost.Bench <scenario> [--json] [--iterations N]");
    foreach ((string name, (string description, _)) in scenarios)
    {
        Console.Error.WriteLine($"  {name,-12} {description}");
    }

    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}

bool json = args.Contains("--json");
int iterations = 20_000;
int at = Array.IndexOf(args, "--iterations");
if (at >= 0 && (at + 1 >= args.Length || !int.TryParse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture, out iterations) || iterations < 100))
{
    Console.Error.WriteLine("--iterations takes a number of at least 100");
    return 2;
}

List<Measurement> results = scenario.Run(iterations);
if (json)
{
    foreach (Measurement m in results)
    {
        Console.WriteLine(JsonSerializer.Serialize(m, BenchJsonContext.Default.Measurement));
    }
}
else
{
    int nameWidth = results.Max(r => r.Name.Length);
    int anchorWidth = results.Max(r => r.Anchor.Length);
    Console.WriteLine($"{"name".PadRight(nameWidth)}  {"value",15}  {"anchor".PadRight(anchorWidth)}  {"anchor value",15}  {"ratio",7}");
    foreach (Measurement m in results)
    {
        Console.WriteLine(m.Row(nameWidth, anchorWidth));
    }
}

return 0;
