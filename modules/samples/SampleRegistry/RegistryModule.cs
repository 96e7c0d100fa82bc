using System.Buffers.Binary;
using SupHost.Abi;

[assembly: SupModule("sample-registry", typeof(SupHost.Samples.Registry.RegistryModule))]

namespace SupHost.Samples.Registry;

/// <summary>
/// Shows a module author the whole contract: an object type of its own ("sample-counter") whose
/// objects belong to the calling session, a component factory other components find by name and
/// interface id, a service handler, a timer and the log.
/// </summary>
public sealed class RegistryModule : ISupServiceModule
{
    /// <summary>The interface id the factory answers.</summary>
    public static readonly Guid CounterServiceId = new("5d8e0c8e-1f2a-4c57-9a4b-2b7f0d5e9c11");

    private static RegistryModule? s_current;
    private IModuleHost? _host;
    private uint _counterType;
    private int _liveCounters;
    private IDisposable? _timer;
    private long _ticks;

    /// <summary>The service operation that returns the number of live counters (8 bytes, little-endian).</summary>
    public const uint LiveCountersOperation = 1;

    /// <inheritdoc />
    public void Initialize(IModuleHost host)
    {
        _host = host;
        _counterType = host.Objects.RegisterType("sample-counter", clientCreatable: false);
        host.Components.Register(new CounterFactory());
        _timer = host.Timers.Start(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), () => Interlocked.Increment(ref _ticks));
        s_current = this;
    }

    /// <inheritdoc />
    public void Terminate()
    {
        _timer?.Dispose();
        s_current = null;
        _host?.Log.Write(ModuleLogLevel.Information, $"sample-registry done after {Interlocked.Read(ref _ticks)} timer ticks");
    }

    /// <summary>Creates a counter object held by the caller; the output is its handle (8 bytes).</summary>
    [SupEntryPoint]
    public int CreateCounter(ref ModuleCall call)
    {
        if (call.Output.Length < 8)
        {
            return -1000;
        }

        ulong handle = _host!.Objects.Register(call.Session, _counterType, name: null, mode: 0x180, isPublic: false, destructor: _ => Interlocked.Decrement(ref _liveCounters), payload: new Counter());
        Interlocked.Increment(ref _liveCounters);
        BinaryPrimitives.WriteUInt64LittleEndian(call.Output, handle);
        call.OutputLength = 8;
        return 0;
    }

    /// <summary>Adds one to the counter whose handle is the argument; the output is the new value (8 bytes).</summary>
    [SupEntryPoint]
    public int Increment(ref ModuleCall call)
    {
        if (call.Output.Length < 8 || _host!.Objects.GetPayload(call.Session, call.Argument) is not Counter counter)
        {
            return -1001;
        }

        BinaryPrimitives.WriteInt64LittleEndian(call.Output, Interlocked.Increment(ref counter.Value));
        call.OutputLength = 8;
        return 0;
    }

    /// <inheritdoc />
    public int HandleServiceRequest(ref ModuleCall request)
    {
        if (request.Operation != LiveCountersOperation || request.Output.Length < 8)
        {
            return -1002;
        }

        BinaryPrimitives.WriteInt64LittleEndian(request.Output, Volatile.Read(ref _liveCounters));
        request.OutputLength = 8;
        return 0;
    }

    private sealed class Counter
    {
        public long Value;
    }

    private sealed class CounterFactory : IComponentFactory
    {
        public string Name => "sample-registry";

        public object? QueryInterface(Guid interfaceId) => interfaceId == CounterServiceId ? s_current : null;
    }
}
