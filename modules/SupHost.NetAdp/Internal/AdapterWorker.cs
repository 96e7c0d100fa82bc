using System.Collections.Concurrent;
using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.NetAdp.Internal;

/// <summary>
/// The thread that reads the TAPs: one readiness set over them (level-triggered), a burst of
/// frames from each ready TAP a round, and another round at once for the TAPs that had more.
/// </summary>
internal sealed class AdapterWorker : IDisposable
{
    /// <summary>The frames one TAP gives in one go before the others get their turn.</summary>
    private const int Burst = 64;

    private readonly IModuleReadiness _readiness;
    private readonly ConcurrentDictionary<ulong, Adapter> _adapters = new();
    private readonly IModuleLog _log;
    private IModuleWorker? _worker;

    private AdapterWorker(IModuleReadiness readiness, IModuleLog log)
    {
        _readiness = readiness;
        _log = log;
    }

    public static int Start(IModuleHost host, out AdapterWorker? worker)
    {
        worker = null;
        int status = host.Io.CreateReadiness(out IModuleReadiness? readiness);
        if (status != 0)
        {
            return status;
        }

        worker = new AdapterWorker(readiness!, host.Log);
        worker._worker = host.Threads.Start("tap-reader", worker.Run);
        return 0;
    }

    public int Add(Adapter adapter)
    {
        _adapters[adapter.Id] = adapter;
        int status = _readiness.Add(adapter.Tap, IoInterest.Readable, adapter.Id);
        if (status != 0)
        {
            _adapters.TryRemove(adapter.Id, out _);
        }

        return status;
    }

    public void Remove(Adapter adapter)
    {
        _ = _readiness.Remove(adapter.Tap);
        _adapters.TryRemove(adapter.Id, out _);
    }

    public void Dispose()
    {
        _worker?.Dispose();
        _readiness.Dispose();
    }

    private void Run(CancellationToken stop)
    {
        var ready = new IoReady[64];
        byte[] buffer = new byte[VnetDeviceFrame.ReadBufferSize];
        while (!stop.IsCancellationRequested)
        {
            int count = _readiness.Wait(ready, -1, stop);
            if (count < 0)
            {
                return;
            }

            for (int i = 0; i < count; i++)
            {
                if (_adapters.TryGetValue(ready[i].Token, out Adapter? adapter) && adapter.ReadBurst(buffer, Burst) < 0)
                {
                    // Closed under the read (removed meanwhile): it leaves the set with its handle.
                    _log.Write(ModuleLogLevel.Debug, $"adapter {adapter.Name}: its TAP closed while reading");
                }
            }
        }
    }
}
