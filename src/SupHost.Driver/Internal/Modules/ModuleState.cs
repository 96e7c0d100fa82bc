namespace SupHost.Driver.Internal.Modules;

/// <summary>Where a module is in its life.</summary>
internal enum ModuleState
{
    /// <summary>Never valid.</summary>
    Invalid = 0,

    /// <summary>Its assembly is in its load context; init has not run (LDR_OPEN done, LDR_LOAD not).</summary>
    Opened = 1,

    /// <summary>Init ran; its entry points can be called.</summary>
    Loaded = 2,
}
