using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>What a handler produced: a status, the reply payload's length, and for errors a message.</summary>
/// <param name="Status">The status.</param>
/// <param name="OutputLength">Bytes of reply payload written.</param>
/// <param name="Message">For errors, what went wrong.</param>
/// <param name="Needed">For <see cref="SupStatus.BufferOverflow"/>: the output size that would fit.</param>
/// <param name="Descriptor">A descriptor to send with the reply (owned elsewhere; the reply does not close it).</param>
/// <param name="Transfer">A module call's descriptors: the reply's are sent with it, then all are closed by the connection.</param>
/// <param name="FromModule">The status is a module's own (the reply carries <see cref="HeaderFlags.ModuleStatus"/>).</param>
internal readonly record struct CallResult(SupStatus Status, int OutputLength, string? Message, int Needed = 0, SupHost.Native.SafeFd? Descriptor = null, bool FromModule = false, SupHost.Abi.ModuleCallDescriptors? Transfer = null)
{
    private HeaderFlags ReplyFlags => FromModule ? HeaderFlags.Reply | HeaderFlags.ModuleStatus : HeaderFlags.Reply;

    /// <summary>The reply's flags for a success (payload) reply.</summary>
    public HeaderFlags SuccessFlags => ReplyFlags;

    /// <summary>The reply's flags for an error (message) reply.</summary>
    public HeaderFlags ErrorFlags => ReplyFlags | HeaderFlags.Message;

    public static CallResult Ok(int outputLength = 0) => new(SupStatus.Success, outputLength, null);

    public static CallResult Fail(SupStatus status, string message) => new(status, 0, message);
}
