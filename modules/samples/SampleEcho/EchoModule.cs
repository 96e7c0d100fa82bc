using SupHost.Abi;

[assembly: SupModule("sample-echo", typeof(SupHost.Samples.Echo.EchoModule))]

namespace SupHost.Samples.Echo;

/// <summary>
/// The smallest module there is: <c>Nop</c> does nothing (the benchmarks time it) and <c>Echo</c>
/// returns its input; the operation code, if not zero, is added to every byte.
/// </summary>
public sealed class EchoModule : ISupModule
{
    private IModuleHost? _host;

    /// <inheritdoc />
    public void Initialize(IModuleHost host)
    {
        _host = host;
        host.Log.Write(ModuleLogLevel.Information, $"sample-echo ready (Abi {host.AbiVersion})");
    }

    /// <inheritdoc />
    public void Terminate() => _host?.Log.Write(ModuleLogLevel.Information, "sample-echo done");

    /// <summary>Does nothing.</summary>
    [SupEntryPoint]
    public static int Nop(ref ModuleCall call) => 0;

    /// <summary>Copies the input to the output, adding the operation code to each byte.</summary>
    [SupEntryPoint]
    public static int Echo(ref ModuleCall call)
    {
        if (call.Input.Length > call.Output.Length)
        {
            // A status of the module's own: the output is too small.
            return -1000;
        }

        for (int i = 0; i < call.Input.Length; i++)
        {
            call.Output[i] = (byte)(call.Input[i] + call.Operation);
        }

        call.OutputLength = call.Input.Length;
        return 0;
    }
}
