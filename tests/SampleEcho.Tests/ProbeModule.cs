using System.Buffers.Binary;
using SupHost.Abi;

namespace SampleEcho.Tests;

/// <summary>
/// A module of the tests' own, hosted as "probe": each entry point does one thing a module may do,
/// carefully (<see cref="MakeForSession"/>) or carelessly on purpose (it keeps what it should give
/// back, throws, faults, ignores its cancellation), so that the tests can see what the test host
/// reports. Its <see cref="Terminate"/> gives nothing back, on purpose.
/// </summary>
public sealed class ProbeModule : ISupModule
{
    private readonly List<IDisposable> _kept = [];
    private IModuleHost? _host;

    /// <summary>Lets the stubborn worker and the call that ignores its cancellation return; the test sets it.</summary>
    public ManualResetEventSlim Release { get; } = new();

    /// <summary>Set by a blocking entry point once it runs, so the test knows the call is in progress.</summary>
    public ManualResetEventSlim Running { get; } = new();

    /// <summary>The host it was given at Initialize (for tests of the host's services).</summary>
    public IModuleHost? Host => _host;

    /// <inheritdoc />
    public void Initialize(IModuleHost host) => _host = host;

    /// <inheritdoc />
    public void Terminate()
    {
        // Nothing: what the module kept stays kept, for the host to report.
    }

    /// <summary>Does nothing.</summary>
    [SupEntryPoint]
    public static int Nop(ref ModuleCall call) => 0;

    /// <summary>Throws, naming the operation.</summary>
    [SupEntryPoint]
    public static int Throw(ref ModuleCall call) => throw new InvalidOperationException($"thrown on purpose (operation {call.Operation})");

    /// <summary>Takes every descriptor the call carried and keeps it (never disposed); returns how many.</summary>
    [SupEntryPoint]
    public int KeepDescriptors(ref ModuleCall call)
    {
        foreach (ModuleDescriptor received in call.Descriptors)
        {
            Keep(received.Take());
        }

        return call.Descriptors.Count;
    }

    /// <summary>Allocates a page for the caller and keeps the allocation's descriptor instead of replying with it.</summary>
    [SupEntryPoint]
    public int AllocateAndKeep(ref ModuleCall call)
    {
        int status = _host!.Memory.Allocate(call.Session, 1, out _, out ModuleDescriptor? descriptor);
        if (status == 0)
        {
            Keep(descriptor!);
        }

        return status;
    }

    /// <summary>Leases the first page of the caller's allocation whose handle is the argument, and keeps the lease.</summary>
    [SupEntryPoint]
    public int LeaseAndKeep(ref ModuleCall call)
    {
        int status = _host!.Memory.Lease(call.Session, call.Argument, 0, 4096, writable: true, out IModuleMemoryLease? lease);
        if (status == 0)
        {
            Keep(lease!);
        }

        return status;
    }

    /// <summary>Starts an hour's timer and drops it: only the daemon can stop it.</summary>
    [SupEntryPoint]
    public int StartTimer(ref ModuleCall call)
    {
        _ = _host!.Timers.Start(TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan, () => { });
        return 0;
    }

    /// <summary>Starts a worker that throws at once: the module faults.</summary>
    [SupEntryPoint]
    public int StartFaultyWorker(ref ModuleCall call)
    {
        _ = _host!.Threads.Start("faulty", _ => throw new InvalidOperationException("the worker threw on purpose"));
        return 0;
    }

    /// <summary>Starts a worker that ignores its token and returns only when the test sets <see cref="Release"/>.</summary>
    [SupEntryPoint]
    public int StartStubbornWorker(ref ModuleCall call)
    {
        _ = _host!.Threads.Start("stubborn", _ => Release.Wait(CancellationToken.None));
        return 0;
    }

    /// <summary>Set once the self-disposing timer's callback has disposed its own timer and returned.</summary>
    public ManualResetEventSlim TimerDisposedItself { get; } = new();

    /// <summary>Starts a timer whose callback disposes its own timer.</summary>
    [SupEntryPoint]
    public int StartSelfDisposingTimer(ref ModuleCall call)
    {
        IDisposable? timer = null;
        var made = new ManualResetEventSlim();
        timer = _host!.Timers.Start(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan, () =>
        {
            made.Wait();
            timer!.Dispose();
            TimerDisposedItself.Set();
        });
        made.Set();
        return 0;
    }

    /// <summary>Blocks until the call is cancelled; returns 1 then, or -1001 after 30 s without.</summary>
    [SupEntryPoint]
    public int WaitForCancellation(ref ModuleCall call)
    {
        Running.Set();
        return call.Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)) ? 1 : -1001;
    }

    /// <summary>Blocks until the test sets <see cref="Release"/>, whatever happens to the call.</summary>
    [SupEntryPoint]
    public int IgnoreCancellation(ref ModuleCall call)
    {
        Running.Set();
        return Release.Wait(TimeSpan.FromSeconds(60)) ? 0 : -1001;
    }

    /// <summary>
    /// What a careful module does: a page and an event made for the caller, the page's first byte
    /// set to 0x5a and the event signalled, both descriptors in the reply (page first), both
    /// handles in the output (8 bytes each).
    /// </summary>
    [SupEntryPoint]
    public int MakeForSession(ref ModuleCall call)
    {
        if (call.Output.Length < 16)
        {
            return -1000;
        }

        int status = _host!.Memory.Allocate(call.Session, 1, out ulong memory, out ModuleDescriptor? page);
        if (status != 0)
        {
            return status;
        }

        call.Reply(page!);
        _host.Memory.View(call.Session, memory).Span[0] = 0x5a;
        status = _host.Events.Create(call.Session, multi: false, out ulong evt, out ModuleDescriptor? doorbell);
        if (status != 0)
        {
            return status;
        }

        call.Reply(doorbell!);
        status = _host.Events.Signal(call.Session, evt);
        BinaryPrimitives.WriteUInt64LittleEndian(call.Output, memory);
        BinaryPrimitives.WriteUInt64LittleEndian(call.Output[8..], evt);
        call.OutputLength = 16;
        return status;
    }

    private void Keep(IDisposable resource)
    {
        lock (_kept)
        {
            _kept.Add(resource);
        }
    }
}
