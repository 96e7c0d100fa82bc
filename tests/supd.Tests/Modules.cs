using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Module set-up the tests share.</summary>
internal static class Modules
{
    /// <summary>
    /// The listing's entry of the live module <paramref name="name"/>: an earlier load of it may
    /// still be listed as unloading (or stuck) until the garbage collector has collected it.
    /// </summary>
    public static ModuleInfo Live(IEnumerable<ModuleInfo> modules, string name) =>
        modules.Single(m => m.Name == name && m.State is not ("unloading" or "stuck"));

    /// <summary>Opens and loads <paramref name="name"/> for <paramref name="client"/>; returns the module handle.</summary>
    public static ulong Loaded(SupClient client, string name)
    {
        ModuleOpenReply open = client.OpenModule(name);
        try
        {
            client.LoadModule(open.Handle);
        }
        catch (SupException ex) when (ex.Status == SupStatus.ModuleInitFailed && name == "test-flaky")
        {
            // test-flaky fails its first init on purpose.
            client.LoadModule(open.Handle);
        }

        return open.Handle;
    }
}
