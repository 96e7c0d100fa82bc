using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// What a client would have received for a request of a <see cref="TestSession"/>: the status, the
/// reply's payload or the daemon's message, and the descriptors the reply carried, which are the
/// caller's (as <c>SCM_RIGHTS</c> would have made them) and are closed when the reply is disposed.
/// </summary>
public sealed class TestReply : IDisposable
{
    internal TestReply(SupStatus status, bool isModuleStatus, byte[] output, string? message, IReadOnlyList<SafeFd> descriptors)
    {
        Status = status;
        IsModuleStatus = isModuleStatus;
        Output = output;
        Message = message;
        Descriptors = descriptors;
    }

    /// <summary>The reply's status: the daemon's, or, with <see cref="IsModuleStatus"/>, the module's own number.</summary>
    public SupStatus Status { get; }

    /// <summary>
    /// The status is the module's (the reply carried <see cref="HeaderFlags.ModuleStatus"/>): what
    /// its entry point returned, not the daemon's status of the same number.
    /// </summary>
    public bool IsModuleStatus { get; }

    /// <summary>Whether <see cref="Status"/> is negative.</summary>
    public bool IsError => Status.IsError();

    /// <summary>The reply's payload (what the entry point wrote into its output); empty for an error.</summary>
    public byte[] Output { get; }

    /// <summary>For an error, the daemon's message (for a module's own error: "NAME.Entry returned status -1000"); else null.</summary>
    public string? Message { get; }

    /// <summary>The descriptors the reply carried, in order; owned by this reply until it is disposed.</summary>
    public IReadOnlyList<SafeFd> Descriptors { get; }

    /// <summary>Closes the reply's descriptors.</summary>
    public void Dispose()
    {
        foreach (SafeFd descriptor in Descriptors)
        {
            descriptor.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Status} ({(int)Status}{(IsModuleStatus ? ", the module's" : string.Empty)}), {Output.Length} bytes, {Descriptors.Count} descriptors{(Message is null ? string.Empty : $": {Message}")}";
}
