using System.Reflection;
using System.Runtime.Loader;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// One module's collectible load context. It shares exactly one assembly with the daemon,
/// SupHost.Abi, so that the contract's types are the same on both sides; everything else the
/// module brings (its private dependencies, listed in its deps.json) loads here, and the framework
/// comes from the default context.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly string s_abiName = typeof(Abi.ISupModule).Assembly.GetName().Name!;
    private readonly AssemblyDependencyResolver _resolver;

    public ModuleLoadContext(string moduleName, string modulePath)
        : base($"module {moduleName}", isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(modulePath);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (string.Equals(assemblyName.Name, s_abiName, StringComparison.Ordinal))
        {
            return null;
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
