using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>What a handler produced: a status, the reply payload's length, and for errors a message.</summary>
internal readonly record struct CallResult(SupStatus Status, int OutputLength, string? Message)
{
    public static CallResult Ok(int outputLength = 0) => new(SupStatus.Success, outputLength, null);

    public static CallResult Fail(SupStatus status, string message) => new(status, 0, message);
}
