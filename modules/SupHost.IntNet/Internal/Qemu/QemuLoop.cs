using System.Collections.Concurrent;
using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// The thread of the QEMU back-ends: one readiness set over every listener, connection and datagram
/// socket, and a control event. It reads from QEMU and switches what it read; writes to QEMU run
/// on the switching threads and come here only when a socket is full (a stream waits to be
/// writable; a datagram peer is retried every millisecond while its queue holds frames). Every
/// 100 ms it ticks the endpoints: connect retries, idle peers, stalled frames. Made with the first
/// endpoint, so that a switch without QEMU ports holds no thread.
/// </summary>
internal sealed class QemuLoop : IDisposable
{
    private const ulong ControlToken = 0;
    private const int TickMilliseconds = 100;

    private readonly IModuleReadiness _readiness;
    private readonly IModuleIoHandle _control;
    private readonly SwitchContextPool _contexts;
    /// <summary>The loop thread's stream ports with writes deferred to the end of a read (null on other threads).</summary>
    [ThreadStatic]
    private static List<QemuStreamPort>? t_deferred;

    private readonly ConcurrentDictionary<ulong, IQemuWaiter> _waiters = new();
    private readonly ConcurrentDictionary<QemuEndpoint, byte> _endpoints = new();
    private readonly ConcurrentQueue<QemuDgramPort> _retries = new();
    private IModuleWorker? _worker;
    private long _nextToken;

    private QemuLoop(IModuleReadiness readiness, IModuleIoHandle control, SwitchContextPool contexts, IModuleLog log, IQemuPorts ports)
    {
        _readiness = readiness;
        _control = control;
        _contexts = contexts;
        Log = log;
        Ports = ports;
    }

    public IModuleLog Log { get; }

    public IQemuPorts Ports { get; }

    public static QemuLoop Start(IModuleHost host, SwitchContextPool contexts, IQemuPorts ports)
    {
        int status = host.Io.CreateReadiness(out IModuleReadiness? readiness);
        if (status != 0)
        {
            throw new InvalidOperationException($"a readiness set for the QEMU loop: status {status} ({host.Io.LastError})");
        }

        status = host.Io.CreateEvent(out IModuleIoHandle? control);
        if (status != 0)
        {
            readiness!.Dispose();
            throw new InvalidOperationException($"a control event for the QEMU loop: status {status} ({host.Io.LastError})");
        }

        _ = readiness!.Add(control!, IoInterest.Readable, ControlToken);
        var loop = new QemuLoop(readiness, control!, contexts, host.Log, ports);
        loop._worker = host.Threads.Start("qemu-io", loop.Run);
        return loop;
    }

    public void Add(QemuEndpoint endpoint)
    {
        _endpoints[endpoint] = 0;
        Wake();
    }

    public void Remove(QemuEndpoint endpoint) => _endpoints.TryRemove(endpoint, out _);

    /// <summary>Watches <paramref name="handle"/>; returns its token.</summary>
    public ulong Register(IQemuWaiter waiter, IModuleIoHandle handle, IoInterest interest)
    {
        ulong token = (ulong)Interlocked.Increment(ref _nextToken);
        _waiters[token] = waiter;
        _ = _readiness.Add(handle, interest, token);
        return token;
    }

    /// <summary>Forgets a token (its handle leaves the set when it is disposed).</summary>
    public void Unregister(ulong token) => _waiters.TryRemove(token, out _);

    /// <summary>Watches a new connection for reading.</summary>
    public void Watch(QemuStreamPort port) => port.Token = Register(port, port.Socket, IoInterest.Readable);

    /// <summary>Watches a connection for room to write too (its queue waits), or no longer.</summary>
    public void WatchWritable(QemuStreamPort port, bool writable) =>
        _ = _readiness.Modify(port.Socket, writable ? IoInterest.Readable | IoInterest.Writable : IoInterest.Readable, port.Token);

    /// <summary>A datagram peer's queue holds frames its receiver had no room for: the loop retries.</summary>
    public void Retry(QemuDgramPort port)
    {
        _retries.Enqueue(port);
        Wake();
    }

    public void Wake() => _ = _control.Signal();

    /// <summary>On the loop's thread: notes a port whose write waits for <see cref="FlushDeferred"/> (true); elsewhere false.</summary>
    public static bool Defer(QemuStreamPort port)
    {
        List<QemuStreamPort>? deferred = t_deferred;
        if (deferred is null)
        {
            return false;
        }

        deferred.Add(port);
        return true;
    }

    /// <summary>On the loop's thread: writes every deferred port's queue.</summary>
    public static void FlushDeferred()
    {
        List<QemuStreamPort>? deferred = t_deferred;
        if (deferred is null || deferred.Count == 0)
        {
            return;
        }

        foreach (QemuStreamPort port in deferred)
        {
            port.FlushDeferred();
        }

        deferred.Clear();
    }

    /// <summary>Closes a port once, from any thread: out of its network and its endpoint, its connection ended.</summary>
    public void Close(QemuPort port, string reason, ModuleLogLevel level)
    {
        if (!port.BeginClose(reason))
        {
            return;
        }

        Ports.Detach(port);
        port.Endpoint.Forget(port);
        if (port is QemuStreamPort stream)
        {
            Unregister(stream.Token);
            stream.CloseSocket();
        }

        port.Endpoint.Log(level, $"port {port.Id} ({port.Peer}) left: {reason}");
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
        var pending = new List<QemuDgramPort>();
        SwitchContext context = _contexts.Rent();
        long nextTick = Environment.TickCount64 + TickMilliseconds;
        int backoff = 1;
        t_deferred = new List<QemuStreamPort>(16);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Datagram receivers that were full are retried after 1 ms, then less often (up to
                // 64 ms) while they stay full: a paused VM costs a few wake-ups, not a spinning thread.
                int timeout = pending.Count != 0 || !_retries.IsEmpty ? backoff : Math.Clamp((int)(nextTick - Environment.TickCount64), 0, TickMilliseconds);
                int count = _readiness.Wait(ready, timeout, stop);
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
                    }
                    else if (_waiters.TryGetValue(token, out IQemuWaiter? waiter))
                    {
                        Serve(waiter, ready[i].Events, context);
                    }
                }

                FlushDeferred();
                context.Flush();
                while (_retries.TryDequeue(out QemuDgramPort? port))
                {
                    if (!pending.Contains(port))
                    {
                        pending.Add(port);
                    }
                }

                int before = pending.Count;
                if (before != 0)
                {
                    bool progress = pending.RemoveAll(port => port.Retry()) != 0;
                    backoff = progress ? 1 : Math.Min(backoff * 2, 64);
                }
                long now = Environment.TickCount64;
                if (now >= nextTick)
                {
                    nextTick = now + TickMilliseconds;
                    foreach (QemuEndpoint endpoint in _endpoints.Keys)
                    {
                        endpoint.Tick(now);
                    }

                    FlushDeferred();
                    context.Flush();
                }
            }
        }
        finally
        {
            FlushDeferred();
            t_deferred = null;
            _contexts.Return(context);
        }
    }

    private void Serve(IQemuWaiter waiter, IoInterest events, SwitchContext context)
    {
        try
        {
            waiter.OnReady(events, context);
        }
        catch (ObjectDisposedException ex)
        {
            // A socket or a receiver's buffer closed under the read: the close that did it cleans up.
            Log.Write(ModuleLogLevel.Debug, $"QEMU loop: a handle closed while served: {ex.Message}");
        }
    }
}
