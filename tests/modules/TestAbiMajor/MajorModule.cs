using SupHost.Abi;

// Built as if against the next major of the Abi: refused whatever the minor.
[assembly: SupModule("test-abi-major", typeof(SupHost.TestModules.AbiMajor.MajorModule), AbiVersion.Major + 1, 0)]

namespace SupHost.TestModules.AbiMajor;

public sealed class MajorModule : ISupModule
{
    public void Initialize(IModuleHost host) => throw new InvalidOperationException("must never run");

    public void Terminate()
    {
    }
}
