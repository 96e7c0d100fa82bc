namespace SupHost.Abi;

/// <summary>How much a module's log line matters.</summary>
public enum ModuleLogLevel
{
    /// <summary>Detail for debugging.</summary>
    Debug = 0,

    /// <summary>Normal operation.</summary>
    Information = 1,

    /// <summary>Something to look at.</summary>
    Warning = 2,

    /// <summary>A failure.</summary>
    Error = 3,
}
