using SupHost.Abi;

[assembly: SupModule("test-sticky", typeof(SupHost.TestModules.Sticky.StickyModule))]

namespace SupHost.TestModules.Sticky;

/// <summary>
/// Misbehaves on purpose: parks an instance of itself in the daemon's AppContext, a place outside
/// its load context, so the context can never be collected after unloading.
/// </summary>
public sealed class StickyModule : ISupModule
{
    public void Initialize(IModuleHost host) => AppContext.SetData("SupHost.TestSticky", this);

    public void Terminate()
    {
    }
}
