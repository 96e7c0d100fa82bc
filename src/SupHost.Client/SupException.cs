using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>A request that failed: carries the daemon's (or the client library's) status and message.</summary>
public class SupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SupException(SupStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>Creates the exception with its cause.</summary>
    public SupException(SupStatus status, string message, Exception innerException)
        : base(message, innerException)
    {
        Status = status;
    }

    /// <summary>Creates an exception with <see cref="SupStatus.GeneralFailure"/>.</summary>
    public SupException()
        : this(SupStatus.GeneralFailure, "SupHost request failed")
    {
    }

    /// <summary>Creates an exception with <see cref="SupStatus.GeneralFailure"/>.</summary>
    public SupException(string message)
        : this(SupStatus.GeneralFailure, message)
    {
    }

    /// <summary>Creates an exception with <see cref="SupStatus.GeneralFailure"/>.</summary>
    public SupException(string message, Exception innerException)
        : this(SupStatus.GeneralFailure, message, innerException)
    {
    }

    /// <summary>The status.</summary>
    public SupStatus Status { get; }

    /// <summary>
    /// Whether <see cref="Status"/> is a module's own (its entry point or service handler returned
    /// it) rather than the daemon's: the reply carried <see cref="HeaderFlags.ModuleStatus"/>.
    /// </summary>
    public bool IsModuleStatus { get; init; }
}
