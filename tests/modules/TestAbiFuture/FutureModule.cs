using SupHost.Abi;

// Built as if against the next minor of the Abi: a daemon of this minor must refuse it.
[assembly: SupModule("test-abi-future", typeof(SupHost.TestModules.AbiFuture.FutureModule), AbiVersion.Major, AbiVersion.Minor + 1)]

namespace SupHost.TestModules.AbiFuture;

public sealed class FutureModule : ISupModule
{
    public void Initialize(IModuleHost host) => throw new InvalidOperationException("must never run");

    public void Terminate()
    {
    }
}
