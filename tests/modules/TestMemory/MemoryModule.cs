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

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate() => _kept = default;

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

    /// <summary>Writes the input at the offset of the view <see cref="Keep"/> kept (whatever became of the memory).</summary>
    [SupEntryPoint]
    public int WriteKept(ref ModuleCall call)
    {
        call.Input.CopyTo(_kept.Span[(int)call.Operation..]);
        return 0;
    }
}
