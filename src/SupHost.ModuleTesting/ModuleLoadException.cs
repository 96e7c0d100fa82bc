using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>The module could not be opened or loaded (its init threw, its declaration is wrong); <see cref="Status"/> is what a client's LDR_OPEN or LDR_LOAD would have got.</summary>
public sealed class ModuleLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="status"/> with the daemon's message.</summary>
    public ModuleLoadException(SupStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>Creates the exception (status <see cref="SupStatus.GeneralFailure"/>).</summary>
    public ModuleLoadException()
        : this(SupStatus.GeneralFailure, "the module could not be loaded")
    {
    }

    /// <summary>Creates the exception with a message (status <see cref="SupStatus.GeneralFailure"/>).</summary>
    public ModuleLoadException(string message)
        : this(SupStatus.GeneralFailure, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause (status <see cref="SupStatus.GeneralFailure"/>).</summary>
    public ModuleLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = SupStatus.GeneralFailure;
    }

    /// <summary>The status of the open or the load (e.g. <see cref="SupStatus.ModuleInitFailed"/>).</summary>
    public SupStatus Status { get; }
}
