namespace SupHost.Abi;

/// <summary>
/// One call into a module: who calls, the operation, a 64-bit argument, the input payload and the
/// output buffer. The module sets <see cref="OutputLength"/> to the bytes it wrote.
/// </summary>
public ref struct ModuleCall
{
    private int _outputLength;

    /// <summary>Creates a call.</summary>
    public ModuleCall(ISessionIdentity session, uint operation, ulong argument, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Session = session;
        Operation = operation;
        Argument = argument;
        Input = input;
        Output = output;
    }

    /// <summary>The calling session.</summary>
    public ISessionIdentity Session { get; }

    /// <summary>The operation code, the module's to define.</summary>
    public uint Operation { get; }

    /// <summary>The 64-bit argument.</summary>
    public ulong Argument { get; }

    /// <summary>The input payload.</summary>
    public ReadOnlySpan<byte> Input { get; }

    /// <summary>Where the reply payload goes; its length is what the caller accepts.</summary>
    public Span<byte> Output { get; }

    /// <summary>
    /// Cancelled when the call's result can no longer reach anyone: the client hung up (it closed its
    /// socket or died) or the daemon is stopping. An entry point that blocks (waits on an event, a
    /// lock, I/O, a timer) must wait with this token, or poll it, and return soon once it is
    /// cancelled (any status will do: the reply is not delivered); the session's cleanup runs when
    /// the call returns. A call still running past the daemon's grace after cancellation
    /// (<c>Supd:CancelGraceSeconds</c>) is logged and counted, and the daemon's stop does not wait
    /// for it. <see cref="CancellationToken.None"/> when the caller is not a client's request.
    /// </summary>
    public CancellationToken Cancellation { readonly get; init; }

    /// <summary>
    /// The call's descriptors (Abi 1.1): null when the call can carry none (a 1.0 daemon, or a
    /// caller that is not a client's ModuleCall/ModuleCallService request).
    /// </summary>
    public ModuleCallDescriptors? DescriptorSet { readonly get; init; }

    /// <summary>
    /// The descriptors the request carried, in the client's order (Abi 1.1); empty when none. The
    /// module takes those it keeps (<see cref="ModuleDescriptor.Take"/>); the rest are closed when
    /// the call returns.
    /// </summary>
    public readonly IReadOnlyList<ModuleDescriptor> Descriptors => DescriptorSet?.Received ?? [];

    /// <summary>
    /// Moves <paramref name="descriptor"/> into the reply, after those added before (Abi 1.1): the
    /// client receives them in this order with a successful reply; with an error status they are
    /// closed. <see cref="InvalidOperationException"/> when the call carries no descriptors or the
    /// reply has <see cref="ModuleCallDescriptors.MaxPerCall"/> already.
    /// </summary>
    public readonly void Reply(ModuleDescriptor descriptor) =>
        (DescriptorSet ?? throw new InvalidOperationException("this call cannot carry descriptors in its reply")).Add(descriptor);

    /// <summary>
    /// Why the call failed, in words, for an entry point that returns a negative status (Abi 1.1):
    /// the client gets "module.Entry: " and this message with the status, instead of "module.Entry
    /// returned status N", cut to the protocol's 1024-byte message. Ignored with a status of 0 or more.
    /// </summary>
    public string? Message { readonly get; set; }

    /// <summary>Sets <see cref="Message"/> and returns <paramref name="status"/>: <c>return call.Fail(-58, "...")</c>.</summary>
    public int Fail(int status, string message)
    {
        Message = message;
        return status;
    }

    /// <summary>Bytes of <see cref="Output"/> the module filled; 0 to <c>Output.Length</c>.</summary>
    public int OutputLength
    {
        readonly get => _outputLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Output.Length);
            _outputLength = value;
        }
    }
}
