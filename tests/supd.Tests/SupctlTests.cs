using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class SupctlTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private string RunDir => fixture.Daemon.RunDir;

    [Fact]
    public void Status_prints_a_summary_and_stable_json()
    {
        (int code, string table, _) = Tool.Supctl("status", "--run-dir", RunDir);
        Assert.Equal(0, code);
        Assert.Contains("(interface 1.1)", table, StringComparison.Ordinal);
        Assert.Contains($"run directory   {RunDir}", table, StringComparison.Ordinal);

        (code, string json, _) = Tool.Supctl("status", "--json", "--run-dir", RunDir);
        Assert.Equal(0, code);
        JsonElement root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(
            ["allocationBudget", "allocationsHeld", "callsIgnoringCancellation", "daemonVersion", "descriptorBudget", "descriptorsHeld", "descriptorsUnclaimed", "factories", "footprintSettles", "gipMode", "gipUpdaterRunning", "gipUpdates", "gipUsers", "intnet", "lockedDown", "lockedPages", "managedHeapBytes", "maxRequestSize", "modules", "modulesCollected", "modulesUnloaded", "objectsByType", "objectsCreated", "objectsDestroyed", "pagesHeld", "pid", "residentBytes", "runDirectory", "sessions", "sessionsOpened", "sessionsRefused", "startedAt", "uptimeSeconds", "version"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(fixture.Daemon.Pid, root.GetProperty("pid").GetInt32());

        // intnet is a start module: supctl adds its networks and ports (none here).
        Assert.Equal(0, root.GetProperty("intnet").GetProperty("networks").GetInt32());
        Assert.Equal(0, root.GetProperty("intnet").GetProperty("ports").GetInt64());
    }

    [Fact]
    public void Listings_show_what_sessions_hold_as_tables_and_json()
    {
        using SupClient client = fixture.Daemon.Connect();
        client.RegisterObject(ObjectTypeId.Vm, "listed-vm", mode: 0x1a0);
        client.RegisterFactory("listed-factory", [Guid.Parse("de504d93-1d1e-4781-8b73-6ea39a0e36a2")]);

        (int code, string objects, _) = Tool.Supctl("objects", "--run-dir", RunDir);
        Assert.Equal(0, code);
        Assert.StartsWith("HANDLE", objects, StringComparison.Ordinal);
        string row = Assert.Single(objects.Split('\n'), l => l.Contains("listed-vm", StringComparison.Ordinal));
        Assert.Contains("0640", row, StringComparison.Ordinal);
        Assert.Contains($"{client.SessionId}:1", row, StringComparison.Ordinal);

        (code, string json, _) = Tool.Supctl("objects", "--json", "--run-dir", RunDir);
        Assert.Equal(0, code);
        JsonElement vm = JsonDocument.Parse(json).RootElement.EnumerateArray().Single(o => o.GetProperty("name").GetString() == "listed-vm");
        Assert.Equal("vm", vm.GetProperty("type").GetString());
        Assert.Equal(client.SessionId, vm.GetProperty("usages")[0].GetProperty("sessionId").GetUInt32());

        (code, string factories, _) = Tool.Supctl("factories", "--run-dir", RunDir);
        Assert.Equal(0, code);
        Assert.Contains($"listed-factory  session {client.SessionId}", factories, StringComparison.Ordinal);

        (code, string sessions, _) = Tool.Supctl("sessions", "--json", "--run-dir", RunDir);
        Assert.Equal(0, code);
        JsonElement mine = JsonDocument.Parse(sessions).RootElement.EnumerateArray().Single(s => s.GetProperty("id").GetUInt32() == client.SessionId);
        Assert.Equal(1, mine.GetProperty("objects").GetInt32());
        Assert.Equal(1, mine.GetProperty("factories").GetInt32());
        Assert.Equal("full", mine.GetProperty("endpoint").GetString());
    }

    [Fact]
    public void Exit_codes_tell_usage_errors_from_failures()
    {
        (int code, string stdout, _) = Tool.Supctl("--help");
        Assert.Equal(0, code);
        Assert.Contains("status", stdout, StringComparison.Ordinal);
        Assert.Equal(0, Tool.Supctl("objects", "--help").ExitCode);

        (code, _, string stderr) = Tool.Supctl("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", stderr, StringComparison.Ordinal);
        Assert.Equal(2, Tool.Supctl().ExitCode);

        string nowhere = Path.Combine(Path.GetTempPath(), $"no-supd-{Guid.NewGuid():N}");
        (code, _, stderr) = Tool.Supctl("status", "--run-dir", nowhere);
        Assert.Equal(1, code);
        Assert.Contains($"supd is not running: nothing listens on {nowhere}/", stderr, StringComparison.Ordinal);
        Assert.Contains("DaemonNotRunning", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_run_directory_can_come_from_the_environment()
    {
        (int code, string stdout, _) = Tool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "supctl.dll"), "status", "--json"], stdin: null,
            new Dictionary<string, string> { [ProtocolConstants.RunDirectoryVariable] = RunDir });
        Assert.Equal(0, code);
        Assert.Equal(RunDir, JsonDocument.Parse(stdout).RootElement.GetProperty("runDirectory").GetString());
    }
}
