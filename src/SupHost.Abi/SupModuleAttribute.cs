namespace SupHost.Abi;

/// <summary>
/// Marks an assembly as a SupHost module: names the module and its class, and records the Abi
/// version it was compiled against. The version parameters default to <see cref="AbiVersion"/>'s
/// constants, which the compiler copies into the attribute of the module being built, so a module
/// carries the version it was really built against without its author writing it.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class SupModuleAttribute : Attribute
{
    /// <summary>Declares the module.</summary>
    /// <param name="name">The module name clients open it by: 1 to 31 characters of [A-Za-z0-9._-].</param>
    /// <param name="moduleType">The class implementing <see cref="ISupModule"/>, with a public parameterless constructor.</param>
    /// <param name="abiMajor">Leave out: the Abi major this module is built against.</param>
    /// <param name="abiMinor">Leave out: the Abi minor this module is built against.</param>
    public SupModuleAttribute(string name, Type moduleType, int abiMajor = AbiVersion.Major, int abiMinor = AbiVersion.Minor)
    {
        Name = name;
        ModuleType = moduleType;
        AbiMajor = abiMajor;
        AbiMinor = abiMinor;
    }

    /// <summary>The module name.</summary>
    public string Name { get; }

    /// <summary>The module class.</summary>
    public Type ModuleType { get; }

    /// <summary>The Abi major it was built against.</summary>
    public int AbiMajor { get; }

    /// <summary>The Abi minor it was built against.</summary>
    public int AbiMinor { get; }
}
