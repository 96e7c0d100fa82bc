using SupHost.Abi;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// A worker the daemon runs for a module (<see cref="IModuleThreads.Start"/>): a dedicated
/// background thread whose exception is caught and reported as the module's fault rather than
/// ending the process, and which the host cancels and joins before the module terminates.
/// </summary>
internal sealed class ModuleWorker : IModuleWorker
{
    private readonly Action<CancellationToken> _body;
    private readonly Action<ModuleWorker, Exception> _faulted;
    private readonly Action<ModuleWorker> _removed;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _done = new(false);
    private int _removedOnce;

    public ModuleWorker(string module, string name, Action<CancellationToken> body, Action<ModuleWorker, Exception> faulted, Action<ModuleWorker> removed)
    {
        Name = name;
        _body = body;
        _faulted = faulted;
        _removed = removed;

        // Background: a worker that ignores its token must not keep the daemon from exiting; the
        // host reports it instead (ModuleLog.WorkerDidNotStop).
        _thread = new Thread(Run) { IsBackground = true, Name = $"{module}:{name}" };
    }

    public string Name { get; }

    public bool IsRunning => !_done.IsSet;

    /// <summary>Starts the thread without flowing the starter's execution context (a caller's AsyncLocals are not the worker's).</summary>
    public void Start() => _thread.UnsafeStart();

    /// <summary>Cancels the token without waiting (from any thread, a faulting one included).</summary>
    public void Cancel()
    {
        try
        {
            _stop.Cancel();
        }
        catch (AggregateException)
        {
            // A callback the module registered on its own token threw; the token is cancelled all the same.
        }
    }

    public bool CancelAndJoin(TimeSpan timeout)
    {
        Cancel();
        if (Thread.CurrentThread == _thread)
        {
            return false;
        }

        bool stopped = _done.Wait(timeout);
        if (stopped)
        {
            Remove();
        }

        return stopped;
    }

    public void Dispose() => CancelAndJoin(Timeout.InfiniteTimeSpan);

    private void Run()
    {
        // An IModuleEvents.Wait on the worker's thread ends with WaitCancelled once the worker is stopped, as in a call.
        using ModuleHost.CallCancellationScope scope = ModuleHost.EnterCall(_stop.Token);
        try
        {
            _body(_stop.Token);
        }
        catch (OperationCanceledException ex) when (ex.CancellationToken == _stop.Token && _stop.IsCancellationRequested)
        {
            // Stopping by throwing for its own token is returning.
        }
        catch (Exception ex)
        {
            _faulted(this, ex);
        }
        finally
        {
            _done.Set();
        }
    }

    private void Remove()
    {
        if (Interlocked.Exchange(ref _removedOnce, 1) == 0)
        {
            _removed(this);
        }
    }
}
