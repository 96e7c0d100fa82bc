using System.Globalization;
using System.Text;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// What was left once every session had ended and the module had been terminated and unloaded
/// (<see cref="ModuleTestHost.Unload"/>). <see cref="Leaks"/> are what nothing cleans up, or what the
/// daemon had to end for the module although the module must have; <see cref="UndoneAtUnload"/> is
/// what the daemon undoes at every unload by design (timers, I/O handles, factories, the module's
/// own objects), which a strict test may also want empty.
/// </summary>
public sealed class ModuleLeakReport
{
    internal ModuleLeakReport(string moduleName)
    {
        ModuleName = moduleName;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>Whether the module was terminated and unloaded (false: something still holds it, see <see cref="Leaks"/>).</summary>
    public bool ModuleUnloaded { get; internal init; }

    /// <summary>Why the module is still loaded, when it is.</summary>
    public string? HeldBy { get; internal init; }

    /// <summary>Sessions whose running call did not return within the cancellation grace: their cleanup waits for it.</summary>
    public IReadOnlyList<uint> SessionsNotEnded { get; internal init; } = [];

    /// <summary>Workers still running when the unload gave up waiting for them.</summary>
    public IReadOnlyList<string> WorkersNotStopped { get; internal init; } = [];

    /// <summary>What the module's Terminate threw, or null.</summary>
    public string? TerminateFailure { get; internal init; }

    /// <summary>Memory leases the module did not dispose (the daemon ended them at unload).</summary>
    public int MemoryLeases { get; internal init; }

    /// <summary>
    /// Descriptors still charged to sessions after everything ended: received with a call and
    /// taken, or made by <c>Memory.Allocate</c> or <c>Events.Create</c>, and neither put in a reply
    /// nor disposed. Nothing closes these.
    /// </summary>
    public long Descriptors { get; internal init; }

    /// <summary>Objects still alive after everything ended.</summary>
    public IReadOnlyList<ObjectInfo> Objects { get; internal init; } = [];

    /// <summary>Shared-memory allocations still alive after everything ended.</summary>
    public IReadOnlyList<MemoryInfo> Allocations { get; internal init; } = [];

    /// <summary>Timers the module did not dispose (the daemon stopped them).</summary>
    public int Timers { get; internal init; }

    /// <summary>I/O handles the module did not close (the daemon closed them).</summary>
    public int IoHandles { get; internal init; }

    /// <summary>Readiness sets the module did not close (the daemon closed them).</summary>
    public int ReadinessSets { get; internal init; }

    /// <summary>Component factories the module did not deregister (the daemon deregistered them).</summary>
    public int Factories { get; internal init; }

    /// <summary>References the module held itself (<c>host.Identity</c>), released by the daemon after Terminate.</summary>
    public int OwnObjects { get; internal init; }

    /// <summary>What leaked, one line each; empty when the module is clean.</summary>
    public IReadOnlyList<string> Leaks
    {
        get
        {
            var leaks = new List<string>();
            foreach (uint session in SessionsNotEnded)
            {
                leaks.Add($"session {session}: its call still ran when the cancellation grace ended, so its cleanup has not run (the call ignores ModuleCall.Cancellation)");
            }

            if (!ModuleUnloaded)
            {
                leaks.Add($"module '{ModuleName}' is still loaded after its last reference went{(HeldBy is null ? string.Empty : $": {HeldBy}")}");
            }

            if (WorkersNotStopped.Count > 0)
            {
                leaks.Add($"workers {string.Join(", ", WorkersNotStopped)} did not return after the unload cancelled them");
            }

            if (TerminateFailure is not null)
            {
                leaks.Add($"Terminate threw {TerminateFailure}");
            }

            if (MemoryLeases > 0)
            {
                leaks.Add($"{Count(MemoryLeases, "memory lease")} not disposed; the daemon ended them at unload");
            }

            if (Descriptors > 0)
            {
                leaks.Add($"{Count(Descriptors, "descriptor")} the daemon issued still open: taken from a call or made by Memory.Allocate or Events.Create, and neither replied nor disposed");
            }

            foreach (ObjectInfo obj in Objects)
            {
                leaks.Add($"object {obj.Handle} ({obj.Type}{(obj.Name is null ? string.Empty : $" '{obj.Name}'")}) still alive with {Count(obj.References, "reference")}");
            }

            foreach (MemoryInfo allocation in Allocations)
            {
                leaks.Add($"allocation {allocation.Handle} of session {allocation.SessionId} ({Count(allocation.Pages, "page")}) still alive");
            }

            return leaks;
        }
    }

    /// <summary>What the daemon undid for the module at unload, as it does by design, one line each.</summary>
    public IReadOnlyList<string> UndoneAtUnload
    {
        get
        {
            var undone = new List<string>();
            if (Timers > 0)
            {
                undone.Add($"{Count(Timers, "timer")} not disposed; the daemon stopped them");
            }

            if (IoHandles + ReadinessSets > 0)
            {
                undone.Add($"{Count(IoHandles, "I/O handle")} and {Count(ReadinessSets, "readiness set")} left open; the daemon closed them");
            }

            if (Factories > 0)
            {
                undone.Add($"{Count(Factories, "component factory", "component factories")} left registered; the daemon deregistered them");
            }

            if (OwnObjects > 0)
            {
                undone.Add($"{Count(OwnObjects, "object reference")} of the module's own identity released after Terminate");
            }

            return undone;
        }
    }

    /// <summary>Whether nothing leaked (<see cref="Leaks"/> is empty).</summary>
    public bool IsClean => Leaks.Count == 0;

    /// <inheritdoc />
    public override string ToString()
    {
        IReadOnlyList<string> leaks = Leaks;
        IReadOnlyList<string> undone = UndoneAtUnload;
        var text = new StringBuilder(leaks.Count == 0 ? $"module '{ModuleName}' left nothing behind" : $"module '{ModuleName}' leaked:");
        foreach (string leak in leaks)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n - {leak}");
        }

        if (undone.Count > 0)
        {
            text.Append("\nundone by the daemon at unload:");
            foreach (string line in undone)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n - {line}");
            }
        }

        return text.ToString();
    }

    private static string Count(long count, string one, string? many = null) =>
        count == 1 ? $"1 {one}" : $"{count.ToString(CultureInfo.InvariantCulture)} {many ?? one + "s"}";
}
