using SupHost.Abi;

[assembly: SupModule("test-flaky", typeof(SupHost.TestModules.Flaky.FlakyModule))]

namespace SupHost.TestModules.Flaky;

/// <summary>
/// Fails its first init (a failed init leaves the module loadable again), and exports entry
/// points that throw, that run for the argument's milliseconds (ignoring cancellation), that block
/// until cancelled, and that report how many times
/// init ran in this load context.
/// </summary>
public sealed class FlakyModule : ISupModule
{
    private static int s_initAttempts;
    private IModuleHost? _host;

    public void Initialize(IModuleHost host)
    {
        _host = host;
        if (Interlocked.Increment(ref s_initAttempts) == 1)
        {
            throw new InvalidOperationException("first init fails on purpose");
        }
    }

    public void Terminate()
    {
    }

    [SupEntryPoint]
    public static int Throw(ref ModuleCall call) => throw new InvalidOperationException($"entry point threw on purpose (operation {call.Operation})");

    [SupEntryPoint]
    public static int Sleep(ref ModuleCall call)
    {
        Thread.Sleep((int)call.Argument);
        return 0;
    }

    /// <summary>Copies the caller's allocation (handle in the argument) from the offset in the operation into the output.</summary>
    [SupEntryPoint]
    public int Peek(ref ModuleCall call)
    {
        Span<byte> memory = _host!.Memory.View(call.Session, call.Argument).Span;
        int length = Math.Min(call.Output.Length, memory.Length - (int)call.Operation);
        memory.Slice((int)call.Operation, length).CopyTo(call.Output);
        call.OutputLength = length;
        return 0;
    }

    /// <summary>Writes the input into the caller's allocation (handle in the argument) at the offset in the operation.</summary>
    [SupEntryPoint]
    public int Poke(ref ModuleCall call)
    {
        call.Input.CopyTo(_host!.Memory.View(call.Session, call.Argument).Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>Waits on the caller's event (handle in the argument) for the operation's milliseconds; returns the host's status.</summary>
    [SupEntryPoint("WaitEvent")]
    public int WaitOnEvent(ref ModuleCall call) => _host!.Events.Wait(call.Session, call.Argument, (int)call.Operation);

    /// <summary>Resets the caller's event (handle in the argument).</summary>
    [SupEntryPoint("ResetEvent")]
    public int ResetOnEvent(ref ModuleCall call) => _host!.Events.Reset(call.Session, call.Argument);

    /// <summary>Blocks until the call's cancellation token is cancelled (its client hung up, or the daemon stops).</summary>
    [SupEntryPoint]
    public static int WaitForCancel(ref ModuleCall call)
    {
        call.Cancellation.WaitHandle.WaitOne();
        return -4243;
    }

    [SupEntryPoint("Fail")]
    public static int ReturnError(ref ModuleCall call) => -4242;
}
