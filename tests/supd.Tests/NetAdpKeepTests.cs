using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 12, items 1 and 5: NetAdp adapters kept across daemon stops (supctl netadp add --keep,
/// Supd:Modules:netadp:KeepAdapters) and a dead daemon's adapters recognised at the next start,
/// over real daemons sharing one run directory, real namespaces and TAPs; and the module settings
/// service (Abi 1.2) the option comes through. Names start with k6; every namespace is removed by
/// name (its devices go with it).
/// </summary>
public sealed class NetAdpKeepTests : IDisposable
{
    private const string KeepConfig = """{ "Supd": { "Modules": { "netadp": { "KeepAdapters": "true" } } } }""";

    private readonly List<string> _namespaces = [];
    private readonly List<Daemon> _daemons = [];
    private readonly List<Process> _holders = [];
    private readonly string _runRoot = Directory.CreateTempSubdirectory("k6-run-").FullName;

    private string RunDir => Path.Combine(_runRoot, "run");

    [Fact]
    public void A_kept_adapter_survives_sigterm_as_a_device_is_taken_back_by_the_next_daemon_and_carries_a_ping_as_a_trunk()
    {
        string ns = Namespace();
        string kept = "k6a" + Tool.Hex(3);
        string plain = "k6p" + Tool.Hex(3);
        Daemon first = StartDaemon();
        (int code, string stdout, string stderr) = Supctl(first, "netadp", "add", kept, "--netns", ns, "--keep");
        Assert.True(code == 0, stderr);
        Assert.Contains(", kept)", stdout, StringComparison.Ordinal);
        Assert.Equal(0, Supctl(first, "netadp", "add", plain, "--netns", ns).ExitCode);
        JsonElement before = Adapter(List(first), kept);
        Assert.True(before.GetProperty("kept").GetBoolean());
        Assert.False(Adapter(List(first), plain).GetProperty("kept").GetBoolean());
        Assert.Contains(kept, Supctl(first, "netadp", "list").Stdout, StringComparison.Ordinal);

        // SIGTERM: the kept one stays as a device, the other goes; the record stays in the run directory.
        Assert.Equal(0, first.Terminate());
        Assert.True(Tool.LinkExists(ns, kept), $"{kept} did not survive the SIGTERM");
        Assert.False(Tool.LinkExists(ns, plain), $"{plain} outlived the SIGTERM");
        Assert.True(File.Exists(Path.Combine(RunDir, "modules", "netadp", "adapters.json")));

        // The next daemon on the run directory takes it back, on no network, with its address and MTU.
        Daemon second = StartDaemon();
        second.WaitForOutput($"adapter {kept} in netns {ns} ({before.GetProperty("mac").GetString()}, MTU 1500) of daemon {first.Pid}, stopped: taken back, kept, on no network");
        JsonElement after = Adapter(List(second), kept);
        Assert.True(after.GetProperty("kept").GetBoolean());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("network").ValueKind);
        Assert.Equal("none", after.GetProperty("role").GetString());
        Assert.Equal(before.GetProperty("mac").GetString(), after.GetProperty("mac").GetString());
        Assert.Equal(before.GetProperty("unit").GetInt32(), after.GetProperty("unit").GetInt32());
        Assert.DoesNotContain(List(second).GetProperty("adapters").EnumerateArray(), a => a.GetProperty("name").GetString() == plain);

        // It attaches to a network as its trunk host end, and a second namespace's adapter on that network pings it both ways.
        string network = "k6net-" + Tool.Hex(3);
        Address(ns, kept, "10.86.0.1/24");
        (code, _, stderr) = Supctl(second, "net", "create", network, "--trunk-type", "netadp", "--trunk", kept);
        Assert.True(code == 0, stderr);
        string other = Namespace();
        string port = "k6b" + Tool.Hex(3);
        (code, _, stderr) = Supctl(second, "netadp", "add", port, "--netns", other, "--network", network);
        Assert.True(code == 0, stderr);
        Address(other, port, "10.86.0.2/24");
        Ping(other, "10.86.0.1");
        Ping(ns, "10.86.0.2");
        Assert.Equal("trunk", Adapter(List(second), kept).GetProperty("role").GetString());

        // Removed by hand, a kept adapter goes as a device too.
        Assert.Equal(0, Supctl(second, "net", "delete", network).ExitCode);
        Assert.Equal(0, Supctl(second, "netadp", "remove", kept).ExitCode);
        Assert.False(Tool.LinkExists(ns, kept), $"{kept} outlived netadp remove");
    }

    [Fact]
    public void A_killed_daemons_kept_adapters_are_removed_at_the_next_start_without_keep_and_the_log_names_them()
    {
        string ns = Namespace();
        string named = "k6k" + Tool.Hex(3);
        Daemon killed = StartDaemon(KeepConfig);
        (int code, string stdout, string stderr) = Supctl(killed, "netadp", "add", "--netns", ns, "--json");
        Assert.True(code == 0, stderr);
        JsonElement unnamed = JsonDocument.Parse(stdout).RootElement.Clone();
        string suphost = unnamed.GetProperty("name").GetString()!;
        Assert.StartsWith("suphost", suphost, StringComparison.Ordinal);
        Assert.True(unnamed.GetProperty("kept").GetBoolean(), "KeepAdapters=true keeps an adapter made without --keep");
        Assert.Equal(0, Supctl(killed, "netadp", "add", named, "--netns", ns).ExitCode);

        // SIGKILL: the persistent TAPs outlive the daemon's descriptors.
        killed.Process.Kill();
        killed.Process.WaitForExit();
        Assert.True(Tool.LinkExists(ns, suphost), $"{suphost} went with the killed daemon although kept");
        Assert.True(Tool.LinkExists(ns, named), $"{named} went with the killed daemon although kept");

        // The next daemon, without the keep option, removes them as it starts (before it is ready).
        Daemon next = StartDaemon();
        Assert.False(Tool.LinkExists(ns, suphost), $"{suphost} outlived the next start");
        Assert.False(Tool.LinkExists(ns, named), $"{named} outlived the next start");
        foreach (string device in new[] { suphost, named })
        {
            Assert.Contains($"stale adapter {device} in netns {ns} of daemon {killed.Pid}, which did not stop (killed) removed (its daemon was killed)", next.Output, StringComparison.Ordinal);
        }

        Assert.Empty(List(next).GetProperty("adapters").EnumerateArray());

        // A later clean stop with nothing kept leaves no record behind.
        Assert.Equal(0, next.Terminate());
        Assert.False(File.Exists(Path.Combine(RunDir, "modules", "netadp", "adapters.json")));
    }

    [Fact]
    public void A_kept_adapter_whose_keep_is_off_at_the_next_start_is_removed_and_one_a_killed_daemon_kept_is_removed_even_with_keep_on()
    {
        string ns = Namespace();
        string bySetting = "k6s" + Tool.Hex(3);
        string asked = "k6q" + Tool.Hex(3);
        Daemon first = StartDaemon(KeepConfig);
        Assert.Equal(0, Supctl(first, "netadp", "add", bySetting, "--netns", ns).ExitCode);
        Assert.Equal(0, Supctl(first, "netadp", "add", asked, "--netns", ns, "--keep").ExitCode);
        Assert.Equal(0, first.Terminate());

        // KeepAdapters is off now: the one it kept goes; the one kept by --keep is taken back.
        Daemon second = StartDaemon();
        Assert.False(Tool.LinkExists(ns, bySetting));
        Assert.Contains($"stale adapter {bySetting} in netns {ns} of daemon {first.Pid}, stopped removed (keep is off now)", second.Output, StringComparison.Ordinal);
        Assert.True(Tool.LinkExists(ns, asked));
        Assert.True(Adapter(List(second), asked).GetProperty("kept").GetBoolean());

        // Killed with it kept, and the next daemon keeps adapters: still removed (a killed daemon's adapters never come back).
        second.Process.Kill();
        second.Process.WaitForExit();
        Assert.True(Tool.LinkExists(ns, asked));
        Daemon third = StartDaemon(KeepConfig);
        Assert.False(Tool.LinkExists(ns, asked), $"{asked} of a killed daemon outlived the next start");
        Assert.Contains($"stale adapter {asked} in netns {ns} of daemon {second.Pid}, which did not stop (killed) removed", third.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Recorded_names_that_are_now_a_veth_or_a_tap_another_process_holds_and_devices_the_record_does_not_name_are_left_alone()
    {
        string ns = Namespace();
        string becomesVeth = "k6v" + Tool.Hex(3);
        string becomesHeld = "k6h" + Tool.Hex(3);
        string unrecorded = "k6u" + Tool.Hex(3);
        string notKept = "k6n" + Tool.Hex(3);
        Daemon first = StartDaemon();
        Assert.Equal(0, Supctl(first, "netadp", "add", becomesVeth, "--netns", ns, "--keep").ExitCode);
        Assert.Equal(0, Supctl(first, "netadp", "add", becomesHeld, "--netns", ns, "--keep").ExitCode);
        Assert.Equal(0, Supctl(first, "netadp", "add", notKept, "--netns", ns).ExitCode);
        first.Process.Kill();
        first.Process.WaitForExit();

        // The adapter that was not kept went with its daemon; a persistent TAP someone makes under
        // its recorded name afterwards is theirs.
        Poll.Until(() => !Tool.LinkExists(ns, notKept), "the killed daemon's adapter that was not kept to go");
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "tuntap", "add", "dev", notKept, "mode", "tap").ExitCode);

        // Someone else's now: a veth under the first name; the second TAP held by another process; and a persistent TAP nobody recorded.
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "link", "del", becomesVeth).ExitCode);
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "link", "add", becomesVeth, "type", "veth", "peer", "name", "k6w" + Tool.Hex(3)).ExitCode);
        Hold(ns, becomesHeld);
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "tuntap", "add", "dev", unrecorded, "mode", "tap").ExitCode);

        Daemon next = StartDaemon(KeepConfig);
        Assert.Contains($"recorded adapter {becomesVeth} in netns {ns} of daemon {first.Pid}, which did not stop (killed): it is not a TAP; left alone", next.Output, StringComparison.Ordinal);
        Assert.Contains($"recorded adapter {becomesHeld} in netns {ns} of daemon {first.Pid}, which did not stop (killed): another process holds it; left alone", next.Output, StringComparison.Ordinal);
        (int code, string link, _) = Tool.Run("ip", "-n", ns, "-d", "-j", "link", "show", becomesVeth);
        Assert.Equal(0, code);
        Assert.Equal("veth", JsonDocument.Parse(link).RootElement[0].GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.True(Tool.LinkExists(ns, becomesHeld));
        Assert.True(Tool.LinkExists(ns, unrecorded));
        Assert.True(Tool.LinkExists(ns, notKept));
        Assert.DoesNotContain($"stale adapter {notKept}", next.Output, StringComparison.Ordinal);
        Assert.Empty(List(next).GetProperty("adapters").EnumerateArray());

        // A new adapter never attaches to an existing device of its name, persistent TAP or not.
        (code, _, string stderr) = Supctl(next, "netadp", "add", unrecorded, "--netns", ns);
        Assert.NotEqual(0, code);
        Assert.Contains("AlreadyExists", stderr, StringComparison.Ordinal);
        Assert.True(Tool.LinkExists(ns, unrecorded));
    }

    [Fact]
    public void A_module_sees_its_own_settings_and_not_another_modules_and_keeps_state_in_its_own_directory()
    {
        Daemon daemon = StartDaemon("""{ "Supd": { "Modules": { "test-io": { "Colour": "red", "Size": "7" }, "other": { "Shape": "round" } } } }""");
        using SupClient client = daemon.Connect();
        ulong module = Modules.Loaded(client, "test-io");
        ulong symbol = client.GetSymbol(module, "Setting");
        (int Status, byte[] Data) Call(uint operation, string input)
        {
            SupReply reply = client.CallModule(symbol, operation, 0, Encoding.UTF8.GetBytes(input), 4096);
            Assert.Equal(SupStatus.Success, reply.Status);
            return (BinaryPrimitives.ReadInt32LittleEndian(reply.Payload), reply.Payload[4..]);
        }

        Assert.Equal((0, "red"), Text(Call(0, "Colour")));
        Assert.Equal((0, "red"), Text(Call(0, "colour")));
        Assert.Equal((0, "7"), Text(Call(0, "Size")));
        Assert.Equal(1, Call(0, "Shape").Status);
        Assert.Equal(1, Call(0, "KeepAdapters").Status);

        (int status, byte[] data) = Call(1, "state of test-io");
        Assert.True(status == 0, Encoding.UTF8.GetString(data));
        int nul = Array.IndexOf(data, (byte)0);
        string directory = Encoding.UTF8.GetString(data, 0, nul);
        Assert.Equal(Path.Combine(RunDir, "modules", "test-io"), directory);
        Assert.Equal("state of test-io", Encoding.UTF8.GetString(data, nul + 1, data.Length - nul - 1));
        Assert.Equal("state of test-io", File.ReadAllText(Path.Combine(directory, "probe")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(["probe"], Directory.GetFiles(directory).Select(Path.GetFileName));

        static (int, string) Text((int Status, byte[] Data) answer) => (answer.Status, Encoding.UTF8.GetString(answer.Data));
    }

    public void Dispose()
    {
        foreach (Daemon daemon in _daemons)
        {
            daemon.Dispose();
        }

        foreach (Process holder in _holders)
        {
            if (!holder.HasExited)
            {
                holder.Kill();
                holder.WaitForExit();
            }

            holder.Dispose();
        }

        // By name, never by pattern: removing a namespace also removes the devices left in it.
        foreach (string ns in _namespaces)
        {
            Tool.Run("ip", "netns", "del", ns);
        }

        Directory.Delete(_runRoot, recursive: true);
    }

    private Daemon StartDaemon(string? config = null, string[]? args = null)
    {
        Daemon daemon = Daemon.Start(RunDir, args ?? [], configJson: config);
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>Holds the TAP <paramref name="device"/> of <paramref name="ns"/> open from another process (TUNSETIFF), until the test ends.</summary>
    private void Hold(string ns, string device)
    {
        const string script = """
            import fcntl, os, struct, sys
            fd = os.open("/dev/net/tun", os.O_RDWR)
            fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000 | 0x4000))
            print("held", flush=True)
            sys.stdin.read()
            """;
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { "netns", "exec", ns, "python3", "-c", script, device })
        {
            start.ArgumentList.Add(arg);
        }

        Process holder = Process.Start(start)!;
        _holders.Add(holder);
        Assert.Equal("held", holder.StandardOutput.ReadLine());
    }

    private static JsonElement List(Daemon daemon)
    {
        (int code, string stdout, string stderr) = Supctl(daemon, "netadp", "list", "--json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static JsonElement Adapter(JsonElement listing, string name) =>
        listing.GetProperty("adapters").EnumerateArray().Single(a => a.GetProperty("name").GetString() == name);

    private static void Address(string ns, string device, string address) =>
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "addr", "add", address, "dev", device).ExitCode);

    private static void Ping(string ns, string address)
    {
        (int code, string stdout, string stderr) = Tool.Run("ip", "netns", "exec", ns, "ping", "-c", "3", "-W", "2", "-i", "0.2", address);
        Assert.True(code == 0, $"ping {address} from {ns}: {stdout}{stderr}");
        Assert.Contains(" 0% packet loss", stdout, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) Supctl(Daemon daemon, params string[] args) =>
        Tool.Supctl([.. args, "--run-dir", daemon.RunDir]);

    private string Namespace()
    {
        string name = "k6-" + Tool.Hex(4);
        Assert.Equal(0, Tool.Run("ip", "netns", "add", name).ExitCode);
        _namespaces.Add(name);
        return name;
    }

}
