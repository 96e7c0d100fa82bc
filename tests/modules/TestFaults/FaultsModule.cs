using SupHost.Abi;

[assembly: SupModule("test-faults", typeof(SupHost.TestModules.Faults.FaultsModule))]

namespace SupHost.TestModules.Faults;

/// <summary>
/// Code of its own that throws outside any call, each way a module can run code: a worker of the
/// daemon's, a timer of the daemon's, a thread it starts itself, a thread-pool work item. And a
/// worker that runs until it is cancelled, whose end Terminate reports, to show that workers are
/// joined before Terminate runs.
/// </summary>
public sealed class FaultsModule : ISupModule
{
    private IModuleHost? _host;
    private volatile bool _workerEnded;
    private volatile bool _workerStarted;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate() =>
        _host!.Log.Write(ModuleLogLevel.Information, $"terminate: patient worker started {_workerStarted}, ended {_workerEnded}", null);

    /// <summary>Operation 1: a worker that throws; 2: a timer whose callback throws; 3: a thread of its own that throws; 4: a thread-pool item that throws.</summary>
    [SupEntryPoint]
    public int Throw(ref ModuleCall call)
    {
        switch (call.Operation)
        {
            case 1:
                _host!.Threads.Start("thrower", _ => throw new InvalidOperationException("worker threw on purpose"));
                break;
            case 2:
                _host!.Timers.Start(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan, () => throw new InvalidOperationException("timer threw on purpose"));
                break;
            case 3:
                new Thread(() => throw new InvalidOperationException("own thread threw on purpose")) { Name = "test-faults own", IsBackground = true }.Start();
                break;
            case 4:
                ThreadPool.QueueUserWorkItem(_ => throw new InvalidOperationException("pool item threw on purpose"));
                break;
            default:
                return -1;
        }

        return 0;
    }

    /// <summary>Starts a worker that waits for its token and records that it ended.</summary>
    [SupEntryPoint]
    public int StartPatient(ref ModuleCall call)
    {
        _host!.Threads.Start("patient", token =>
        {
            _workerStarted = true;
            token.WaitHandle.WaitOne();
            _workerEnded = true;
        });
        return 0;
    }

    [SupEntryPoint]
    public static int Nop(ref ModuleCall call) => 0;
}
