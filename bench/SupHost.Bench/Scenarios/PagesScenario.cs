using System.Diagnostics;
using SupHost.Client;
using SupHost.Native;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// pages: allocate + map + touch + free cycles of one 4 KiB page through the daemon (the memfd
/// travels as SCM_RIGHTS), per second, next to the same loop done raw in this process:
/// memfd_create + ftruncate + seal + mmap + touch + munmap + close. Both pinned to CPU 0.
/// </summary>
internal static class PagesScenario
{
    public static List<Measurement> Run(int iterations)
    {
        int cycles = Math.Max(1000, iterations);
        Affinity.PinMainThread(0);
        double daemonRate;
        using (var daemon = new BenchDaemon(0))
        using (SupClient client = daemon.Connect())
        {
            daemonRate = Rate(cycles, () =>
            {
                using SharedMemory memory = client.AllocatePages(1);
                memory.Span[0] = 1;
            });
        }

        double rawRate = Rate(cycles, () =>
        {
            using SafeFd fd = Libc.CreateSharedMemory("bench", 4096);
            using MappedMemory map = Libc.Map(fd, 4096, Libc.PROT_READ | Libc.PROT_WRITE);
            map.AsSpan()[0] = 1;
        });

        return [new Measurement("page_alloc_map_touch_free_cycles", daemonRate, "/s", "raw_memfd_mmap_cycles_in_process", rawRate)];
    }

    private static double Rate(int cycles, Action cycle)
    {
        for (int i = 0; i < cycles / 10; i++)
        {
            cycle();
        }

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < cycles; i++)
        {
            cycle();
        }

        return cycles / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
