using System.Diagnostics;
using System.Runtime.Loader;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// load-cycle: open + load (init) + free (term, unload) cycles of sample-echo per second through
/// the daemon, next to the floor of the same work done raw in this process: a collectible
/// AssemblyLoadContext loading the same file and unloading, with nothing else.
/// </summary>
internal static class LoadCycleScenario
{
    public static List<Measurement> Run(int iterations)
    {
        int cycles = Math.Max(100, iterations / 20);
        Affinity.PinMainThread(0);
        double daemonRate;
        // The daemon runs from this directory, so its modules/ is this one's.
        string modulePath = Path.Combine(AppContext.BaseDirectory, "modules", "sample-echo", "sample-echo.dll");
        using (var daemon = new BenchDaemon(0))
        using (SupClient client = daemon.Connect())
        {
            for (int i = 0; i < cycles / 10; i++)
            {
                Cycle(client);
            }

            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < cycles; i++)
            {
                Cycle(client);
            }

            daemonRate = cycles / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        for (int i = 0; i < cycles / 10; i++)
        {
            RawCycle(modulePath);
        }

        long rawStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < cycles; i++)
        {
            RawCycle(modulePath);
        }

        double rawRate = cycles / Stopwatch.GetElapsedTime(rawStart).TotalSeconds;
        return [new Measurement("module_load_cycles", daemonRate, "/s", "raw_alc_load_unload_cycles", rawRate)];
    }

    private static void Cycle(SupClient client)
    {
        ModuleOpenReply open = client.OpenModule("sample-echo");
        client.LoadModule(open.Handle);
        if (client.FreeModule(open.Handle) != SupStatus.ModuleUnloaded)
        {
            throw new InvalidOperationException("sample-echo did not unload: something else holds it");
        }
    }

    private static void RawCycle(string path)
    {
        var context = new AssemblyLoadContext("bench", isCollectible: true);
        context.LoadFromAssemblyPath(path).GetTypes();
        context.Unload();
    }
}
