namespace SupHost.ModuleTesting;

/// <summary>Thrown by <see cref="ModuleTestHost.AssertClean"/>: the module leaked; the message lists what.</summary>
public sealed class ModuleLeakException : Exception
{
    /// <summary>Creates the exception for <paramref name="report"/>.</summary>
    public ModuleLeakException(ModuleLeakReport report)
        : base(report?.ToString())
    {
        ArgumentNullException.ThrowIfNull(report);
        Report = report;
    }

    /// <summary>Creates the exception without a report.</summary>
    public ModuleLeakException()
        : base("the module leaked")
    {
    }

    /// <summary>Creates the exception with a message and no report.</summary>
    public ModuleLeakException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message, its cause and no report.</summary>
    public ModuleLeakException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What leaked, when the host made the report.</summary>
    public ModuleLeakReport? Report { get; }
}
