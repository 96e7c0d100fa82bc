using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// What the daemon holds that a session could leave behind: descriptors, mappings of shared memory,
/// locked memory, objects, allocations and the descriptors counted for sessions. A test measures it
/// before, and after the sessions it made have gone checks that all of it is back.
/// </summary>
internal readonly record struct DaemonBaseline(int Fds, int MemfdMappings, long LockedKiB, int Objects, int Allocations, long DescriptorsHeld)
{
    public static DaemonBaseline Measure(Daemon daemon, SupClient probe)
    {
        StatusInfo status = probe.QueryStatus();
        return new(daemon.FdCount(), daemon.MemfdMappings(), daemon.LockedKiB(), status.ObjectsByType.Values.Sum(), probe.ListMemory().Count, status.DescriptorsHeld);
    }

    /// <summary>
    /// The baseline once <paramref name="module"/> has been loaded and unloaded: what the runtime
    /// keeps open after a first load (the module directory's files) is not the test's.
    /// </summary>
    public static DaemonBaseline MeasureAfterModuleLoad(Daemon daemon, SupClient probe, string module = "test-memory")
    {
        Assert.Equal(SupStatus.ModuleUnloaded, probe.FreeModule(Modules.Loaded(probe, module)));
        return Measure(daemon, probe);
    }

    /// <summary>Waits for the daemon to give everything back, then checks that a fresh session is served and may allocate and lock.</summary>
    public void AssertRestored(Daemon daemon, SupClient probe, int timeoutMs = 20_000)
    {
        DaemonBaseline expected = this;
        Poll.Until(() => Measure(daemon, probe) == expected, () => $"the daemon to return to {expected}; it is at {Measure(daemon, probe)} ({daemon.FdTargets()})", timeoutMs);
        using SupClient fresh = daemon.Connect();
        using SharedMemory memory = fresh.AllocatePages(1, locked: true);
        memory.Span[0] = 1;
    }
}
