namespace SupHost.Abi;

/// <summary>
/// Exports a public method of the module class as an entry point that clients resolve by name
/// (GET_SYMBOL) and call. The method must match <see cref="ModuleEntryPoint"/>: <c>int M(ref ModuleCall call)</c>,
/// static or instance.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class SupEntryPointAttribute : Attribute
{
    /// <summary>Exports the method under its own name.</summary>
    public SupEntryPointAttribute()
    {
    }

    /// <summary>Exports the method under <paramref name="name"/>.</summary>
    public SupEntryPointAttribute(string name) => Name = name;

    /// <summary>The exported name, or null for the method's name.</summary>
    public string? Name { get; }
}
