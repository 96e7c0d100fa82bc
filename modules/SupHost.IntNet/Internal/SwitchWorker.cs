using System.Collections.Concurrent;
using SupHost.Abi;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A switching thread: one readiness set over the send doorbells of its interfaces and a control
/// event. Woken by a doorbell, it drains that interface's send ring (a bounded pass), goes on with
/// the rings that still hold frames before it sleeps again, and rings the receive doorbells it made
/// due once per round.
/// </summary>
internal sealed class SwitchWorker : IDisposable
{
    private const ulong ControlToken = 0;
    private readonly IModuleReadiness _readiness;
    private readonly IModuleIoHandle _control;
    private readonly ConcurrentDictionary<ulong, InterfacePort> _ports = new();
    private readonly SwitchContextPool _contexts;
    private readonly IModuleLog _log;
    private IModuleWorker? _worker;

    private SwitchWorker(IModuleReadiness readiness, IModuleIoHandle control, SwitchContextPool contexts, IModuleLog log)
    {
        _readiness = readiness;
        _control = control;
        _contexts = contexts;
        _log = log;
    }

    public int Count => _ports.Count;

    public static SwitchWorker Start(IModuleHost host, string name, SwitchContextPool contexts)
    {
        int status = host.Io.CreateReadiness(out IModuleReadiness? readiness);
        if (status != 0)
        {
            throw new InvalidOperationException($"a readiness set for {name}: status {status} ({host.Io.LastError})");
        }

        status = host.Io.CreateEvent(out IModuleIoHandle? control);
        if (status != 0)
        {
            readiness!.Dispose();
            throw new InvalidOperationException($"a control event for {name}: status {status} ({host.Io.LastError})");
        }

        _ = readiness!.Add(control!, IoInterest.Readable, ControlToken);
        var worker = new SwitchWorker(readiness, control!, contexts, host.Log);
        worker._worker = host.Threads.Start(name, worker.Run);
        return worker;
    }

    /// <summary>Watches the interface's send doorbell; false when the doorbell is gone (the interface is still kicked by Send).</summary>
    public bool Add(InterfacePort port)
    {
        _ports[port.Id] = port;
        IModuleIoHandle? doorbell = port.SendDoorbell;
        return doorbell is not null && _readiness.Add(doorbell, IoInterest.Readable, port.Id) == 0;
    }

    public void Remove(InterfacePort port)
    {
        IModuleIoHandle? doorbell = port.SendDoorbell;
        if (doorbell is not null)
        {
            _ = _readiness.Remove(doorbell);
        }

        _ports.TryRemove(port.Id, out _);
    }

    public void Dispose()
    {
        _worker?.Dispose();
        _readiness.Dispose();
        _control.Dispose();
    }

    private void Run(CancellationToken stop)
    {
        var ready = new IoReady[64];
        var again = new List<InterfacePort>();
        var next = new List<InterfacePort>();
        SwitchContext context = _contexts.Rent();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int count = _readiness.Wait(ready, again.Count != 0 ? 0 : -1, stop);
                if (count < 0)
                {
                    return;
                }

                for (int i = 0; i < count; i++)
                {
                    ulong token = ready[i].Token;
                    if (token == ControlToken)
                    {
                        _ = _control.Consume();
                        foreach (InterfacePort port in _ports.Values)
                        {
                            Drain(port, context, next);
                        }

                        continue;
                    }

                    if (_ports.TryGetValue(token, out InterfacePort? woken))
                    {
                        _ = woken.SendDoorbell?.Consume();
                        Drain(woken, context, next);
                    }
                }

                // Rings that still held frames after their pass get another before the worker sleeps.
                foreach (InterfacePort port in again)
                {
                    if (!next.Contains(port))
                    {
                        Drain(port, context, next);
                    }
                }

                context.Flush();
                (again, next) = (next, again);
                next.Clear();
            }
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    private void Drain(InterfacePort port, SwitchContext context, List<InterfacePort> again)
    {
        try
        {
            if (!port.IsClosed && port.Drain(context) && !again.Contains(port))
            {
                again.Add(port);
            }
        }
        catch (ObjectDisposedException ex)
        {
            // The interface closed under the drain (its buffer went with its session): nothing to do.
            _log.Write(ModuleLogLevel.Debug, $"interface {port.Id} closed while draining: {ex.Message}");
        }
    }
}
