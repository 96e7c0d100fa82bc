using System.Reflection;
using System.Runtime.Loader;
using SupHost.Native;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// One module's collectible load context. It shares exactly one assembly with the daemon,
/// SupHost.Abi, so that the contract's types are the same on both sides; everything else the
/// module brings (its private dependencies, listed in its deps.json) loads here, and the framework
/// comes from the default context.
/// </summary>
/// <remarks>
/// Dependencies are checked as the module is (<see cref="ModuleTrust"/>: every directory from /,
/// no links) and loaded from the bytes read from the checked descriptor; a native library is
/// loaded through /proc/self/fd/N of its checked descriptor, so dlopen maps what was checked.
/// </remarks>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly string s_abiName = typeof(Abi.ISupModule).Assembly.GetName().Name!;
    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _trustedFrom;

    public ModuleLoadContext(string moduleName, string modulePath, string trustedFrom)
        : base($"module {moduleName}", isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(modulePath);
        _trustedFrom = trustedFrom;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (string.Equals(assemblyName.Name, s_abiName, StringComparison.Ordinal))
        {
            return null;
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            return null;
        }

        string? refusal = ModuleTrust.ReadVerified(_trustedFrom, path, out byte[]? image);
        if (refusal is not null)
        {
            // Fails the load of the module (or the call that first needs the dependency) with the reason.
            throw new FileLoadException(refusal, path);
        }

        using var stream = new MemoryStream(image!, writable: false);
        return LoadFromStream(stream);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        if (path is null)
        {
            return IntPtr.Zero;
        }

        using SafeFd? fd = ModuleTrust.OpenVerified(_trustedFrom, path, out string? refusal);
        if (fd is null)
        {
            throw new DllNotFoundException(refusal);
        }

        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            return LoadUnmanagedDllFromPath($"/proc/self/fd/{(int)fd.DangerousGetHandle()}");
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }
}
