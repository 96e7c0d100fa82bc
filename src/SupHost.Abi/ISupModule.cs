namespace SupHost.Abi;

/// <summary>
/// The module contract (ModuleInit/ModuleTerm of the original). The daemon creates one instance
/// when the module is first loaded, calls <see cref="Initialize"/> once, and <see cref="Terminate"/>
/// once when the last reference goes, before unloading the module's load context.
/// </summary>
public interface ISupModule
{
    /// <summary>
    /// Sets the module up. Throwing fails the load: the exception's message goes back to the
    /// client, and the module may be loaded again later.
    /// </summary>
    void Initialize(IModuleHost host);

    /// <summary>Releases what <see cref="Initialize"/> set up. Exceptions are logged and otherwise ignored.</summary>
    void Terminate();
}
