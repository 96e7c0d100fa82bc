using SupHost.Abi;

[assembly: SupModule("test-flaky", typeof(SupHost.TestModules.Flaky.FlakyModule))]

namespace SupHost.TestModules.Flaky;

/// <summary>
/// Fails its first init (a failed init leaves the module loadable again), and exports entry
/// points that throw, that run for the argument's milliseconds, and that report how many times
/// init ran in this load context.
/// </summary>
public sealed class FlakyModule : ISupModule
{
    private static int s_initAttempts;

    public void Initialize(IModuleHost host)
    {
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

    [SupEntryPoint("Fail")]
    public static int ReturnError(ref ModuleCall call) => -4242;
}
