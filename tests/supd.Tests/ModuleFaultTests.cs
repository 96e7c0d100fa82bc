using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Issue 9, defect 4: code of a module's own that throws outside a call faults the module, not the daemon.</summary>
public sealed class ModuleFaultTests : IDisposable
{
    private readonly Daemon _daemon = Daemon.Start();

    [Theory]
    [InlineData(1u, "worker 'thrower' threw InvalidOperationException: worker threw on purpose")]
    [InlineData(2u, "a timer callback threw InvalidOperationException: timer threw on purpose")]
    [InlineData(3u, "thread 'test-faults own' (started by the module itself) threw InvalidOperationException: own thread threw on purpose")]
    [InlineData(4u, "(started by the module itself) threw InvalidOperationException: pool item threw on purpose")]
    public void A_throw_outside_a_call_faults_the_module_which_unloads_and_loads_again_fresh(uint how, string fault)
    {
        using SupClient observer = _daemon.Connect();
        int fds = _daemon.FdCount();
        using (SupClient client = _daemon.Connect())
        {
            ModuleOpenReply open = client.OpenModule("test-faults");
            client.LoadModule(open.Handle);
            ulong nop = client.GetSymbol(open.Handle, "Nop");
            Assert.Equal(SupStatus.Success, client.CallModule(client.GetSymbol(open.Handle, "Throw"), how, 0));

            Poll.Until(() => client.ListModules().Single(m => m.Name == "test-faults").State == "faulted", "the module to be marked faulted");
            ModuleInfo faulted = client.ListModules().Single(m => m.Name == "test-faults");
            Assert.Contains(fault, faulted.Fault, StringComparison.Ordinal);
            Assert.Equal(1, faulted.Faults);
            _daemon.WaitForOutput("Module test-faults faulted:");

            // Its calls say so; the daemon serves everyone, this session included.
            SupException refused = Assert.Throws<SupException>(() => client.CallModule(nop, 0, 0));
            Assert.Equal(SupStatus.ModuleFaulted, refused.Status);
            Assert.False(refused.IsModuleStatus);
            Assert.StartsWith($"module 'test-faults' is faulted: ", refused.Message, StringComparison.Ordinal);
            Assert.Contains(fault, refused.Message, StringComparison.Ordinal);
            client.Nop();
            using (SupClient fresh = _daemon.Connect())
            {
                fresh.Nop();
            }

            // The JSON listing of supctl shows it too.
            (int code, string json, _) = Tool.Supctl("modules", "--json", "--run-dir", _daemon.RunDir);
            Assert.Equal(0, code);
            JsonElement listed = JsonDocument.Parse(json).RootElement.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "test-faults");
            Assert.Equal("faulted", listed.GetProperty("state").GetString());
            Assert.Equal(1, listed.GetProperty("faults").GetInt64());
            Assert.Contains(fault, listed.GetProperty("fault").GetString(), StringComparison.Ordinal);
            (code, string table, _) = Tool.Supctl("modules", "--run-dir", _daemon.RunDir);
            Assert.Equal(0, code);
            Assert.Contains(fault, table, StringComparison.Ordinal);

            // It unloads, and its load context is collected.
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
            Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "the faulted module's load context to be collected");

            // Loaded again it is a fresh module.
            ModuleOpenReply again = client.OpenModule("test-faults");
            client.LoadModule(again.Handle);
            Assert.Equal(SupStatus.Success, client.CallModule(client.GetSymbol(again.Handle, "Nop"), 0, 0));
            ModuleInfo reloaded = client.ListModules().Single(m => m.Name == "test-faults");
            Assert.Equal("loaded", reloaded.State);
            Assert.Null(reloaded.Fault);
            Assert.Equal(0, reloaded.Faults);
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(again.Handle));
            Assert.Empty(client.ListObjects());
        }

        Assert.False(_daemon.Process.HasExited);
        observer.Nop();
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
    }

    [Fact]
    public void Workers_are_cancelled_and_joined_before_terminate_and_the_context_is_collected()
    {
        using SupClient client = _daemon.Connect();
        ModuleOpenReply open = client.OpenModule("test-faults");
        client.LoadModule(open.Handle);
        client.CallModule(client.GetSymbol(open.Handle, "StartPatient"), 0, 0);

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
        _daemon.WaitForOutput("terminate: patient worker started True, ended True");
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "the module's load context to be collected");
        Assert.DoesNotContain("did not stop", _daemon.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _daemon.Dispose();
}
