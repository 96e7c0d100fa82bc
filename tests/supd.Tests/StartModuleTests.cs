using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Issue 10, item 5: Supd:StartModules loads and pins modules as the daemon starts; one that fails stops the start.</summary>
public class StartModuleTests
{
    [Fact]
    public void Start_modules_are_loaded_and_pinned_before_the_daemon_serves()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "StartModules": [ "test-memory" ] } }""");
        daemon.WaitForOutput("Start module test-memory loaded and pinned");
        using SupClient client = daemon.Connect();
        ModuleInfo module = Assert.Single(client.ListModules(), m => m.Name == "test-memory");
        Assert.Equal("loaded", module.State);

        // A session that opens and frees it does not unload it: the daemon's pin holds it.
        ulong handle = client.OpenModule("test-memory").Handle;
        Assert.Equal(SupStatus.Success, client.FreeModule(handle));
        Assert.Single(client.ListModules(), m => m.Name == "test-memory" && m.State == "loaded");
    }

    [Fact]
    public void A_start_module_that_fails_stops_the_start_naming_it_and_why()
    {
        string dir = Directory.CreateTempSubdirectory("supd-start-").FullName;
        try
        {
            string config = Path.Combine(dir, "supd.json");
            File.WriteAllText(config, """{ "Supd": { "StartModules": [ "test-memory", "test-flaky" ] } }""");
            (int code, string output) = Daemon.RunExpectingRefusal("--run-dir", Path.Combine(dir, "run"), "--config", config);
            Assert.Equal(1, code);
            Assert.Contains("supd: start module 'test-flaky' could not be loaded:", output, StringComparison.Ordinal);
            Assert.Contains("first init fails on purpose", output, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir, "run", ProtocolConstants.FullSocketName)), "the daemon left its socket behind");

            // A name that is no module name is refused before anything starts.
            File.WriteAllText(config, """{ "Supd": { "StartModules": [ "../x" ] } }""");
            (code, output) = Daemon.RunExpectingRefusal("--run-dir", Path.Combine(dir, "run"), "--config", config);
            Assert.Equal(1, code);
            Assert.Contains("supd: start module '../x':", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
