using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Module set-up the tests share.</summary>
internal static class Modules
{
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
