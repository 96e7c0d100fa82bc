using SupHost.Abi;

[assembly: SupModule("test-memory", typeof(SupHost.TestModules.Memory.MemoryModule))]

namespace SupHost.TestModules.Memory;

/// <summary>
/// Touches a client's allocation the way a careless module would: through the Abi 1.0 view, read
/// and written inside a call, and kept past the call (past the client's PageFree or death).
/// Every entry point takes the allocation's handle in the argument and an offset in the operation.
/// </summary>
public sealed class MemoryModule : ISupModule
{
    private IModuleHost? _host;
    private Memory<byte> _kept;
    private IModuleMemoryLease? _lease;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate() => _kept = default; // a lease left here is ended by the daemon

    /// <summary>Copies bytes at the offset into the output, through a fresh 1.0 view.</summary>
    [SupEntryPoint]
    public int Read(ref ModuleCall call)
    {
        Span<byte> memory = _host!.Memory.View(call.Session, call.Argument).Span;
        int length = Math.Min(call.Output.Length, memory.Length - (int)call.Operation);
        memory.Slice((int)call.Operation, length).CopyTo(call.Output);
        call.OutputLength = length;
        return 0;
    }

    /// <summary>Writes the input at the offset, through a fresh 1.0 view.</summary>
    [SupEntryPoint]
    public int Write(ref ModuleCall call)
    {
        call.Input.CopyTo(_host!.Memory.View(call.Session, call.Argument).Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>Takes a 1.0 view and keeps it in a field, beyond this call.</summary>
    [SupEntryPoint]
    public int Keep(ref ModuleCall call)
    {
        _kept = _host!.Memory.View(call.Session, call.Argument);
        return 0;
    }

    /// <summary>
    /// Leases the allocation's first pages (as many as the input's first byte says; writable when
    /// its second byte is 1) and keeps the lease; returns the host's status.
    /// </summary>
    [SupEntryPoint("Lease")]
    public int TakeLease(ref ModuleCall call)
    {
        int status = _host!.Memory.Lease(call.Session, call.Argument, 0, call.Input[0] * 4096, call.Input[1] == 1, out IModuleMemoryLease? lease);
        if (status == 0)
        {
            _lease = lease;
        }

        return status;
    }

    /// <summary>Writes the input at the offset of the kept lease, through its writable memory.</summary>
    [SupEntryPoint]
    public int WriteLeased(ref ModuleCall call)
    {
        call.Input.CopyTo(_lease!.Memory.Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>Copies the kept lease's bytes at the offset into the output; the first output byte is 1 when the allocation was freed.</summary>
    [SupEntryPoint]
    public int ReadLeased(ref ModuleCall call)
    {
        call.Output[0] = _lease!.IsFreed ? (byte)1 : (byte)0;
        _lease.ReadOnlyMemory.Span.Slice((int)call.Operation, call.Output.Length - 1).CopyTo(call.Output[1..]);
        call.OutputLength = call.Output.Length;
        return 0;
    }

    /// <summary>Disposes the kept lease.</summary>
    [SupEntryPoint]
    public int EndLease(ref ModuleCall call)
    {
        _lease?.Dispose();
        _lease = null;
        return 0;
    }

    /// <summary>Writes the input at the offset of the view <see cref="Keep"/> kept (whatever became of the memory).</summary>
    [SupEntryPoint]
    public int WriteKept(ref ModuleCall call)
    {
        call.Input.CopyTo(_kept.Span[(int)call.Operation..]);
        return 0;
    }
}
