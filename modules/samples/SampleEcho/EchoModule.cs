using SupHost.Abi;

[assembly: SupModule("sample-echo", typeof(SupHost.Samples.Echo.EchoModule))]

namespace SupHost.Samples.Echo;

/// <summary>
/// The smallest module there is: <c>Nop</c> does nothing (the benchmarks time it) and <c>Echo</c>
/// returns its input; the operation code, if not zero, is added to every byte. <c>Signal</c>
/// signals the caller's event whose handle is the argument, <c>Time</c> returns the daemon's
/// clock, and <c>EchoDescriptors</c> hands back the descriptors the call carried: how a module
/// reaches the event, time and descriptor services.
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

    /// <summary>Signals the caller's event semaphore whose handle is the argument; returns the host's status.</summary>
    [SupEntryPoint]
    public int Signal(ref ModuleCall call) => _host!.Events.Signal(call.Session, call.Argument);

    /// <summary>Writes the module clock's nanoseconds (8 bytes, little-endian) to the output.</summary>
    [SupEntryPoint]
    public int Time(ref ModuleCall call)
    {
        if (call.Output.Length < sizeof(ulong))
        {
            return -1000;
        }

        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(call.Output, _host!.Clock.NanoTime);
        call.OutputLength = sizeof(ulong);
        return 0;
    }

    /// <summary>Moves every descriptor the call carried into its reply, in order (Abi 1.1).</summary>
    [SupEntryPoint]
    public static int EchoDescriptors(ref ModuleCall call)
    {
        foreach (ModuleDescriptor received in call.Descriptors)
        {
            call.Reply(received.Take());
        }

        return 0;
    }
}
