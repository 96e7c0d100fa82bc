namespace SupHost.Protocol;

/// <summary>Helpers on <see cref="SupStatus"/>.</summary>
public static class StatusExtensions
{
    /// <summary>True for errors (negative statuses).</summary>
    public static bool IsError(this SupStatus status) => (int)status < 0;

    /// <summary>True for success and informational statuses.</summary>
    public static bool IsSuccess(this SupStatus status) => (int)status >= 0;
}
