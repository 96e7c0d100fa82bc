using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public sealed class PermissionTests : IDisposable
{
    private readonly TestUser _user = new();
    private readonly string _group = $"supg{Guid.NewGuid().ToString("N")[..8]}";
    private readonly Daemon _daemon;

    public PermissionTests() => _daemon = Daemon.Start("--group", _group, "--verbose");

    [Fact]
    public void Another_user_is_refused_by_mode_and_group_until_it_joins_the_group()
    {
        // The daemon created the missing group and gave the full socket to it, mode 0660.
        _daemon.WaitForOutput($"Created group {_group}");
        var full = new FileInfo(Path.Combine(_daemon.RunDir, ProtocolConstants.FullSocketName));
        Assert.Equal((UnixFileMode)0x1b0, full.UnixFileMode);
        Assert.Equal((UnixFileMode)0x1b6, new FileInfo(Path.Combine(_daemon.RunDir, ProtocolConstants.RestrictedSocketName)).UnixFileMode);

        (int code, string stdout, string stderr) = _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "full"));
        Assert.True(code == 3, $"exit {code}: {stdout} {stderr}");
        Assert.Equal("STATUS PermissionDenied", stdout.Trim());
        Assert.Contains("needs the daemon's socket group", stderr, StringComparison.Ordinal);

        // The restricted endpoint is open to everyone.
        (code, stdout, _) = _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "restricted"));
        Assert.Equal(0, code);
        Assert.StartsWith("OK ", stdout, StringComparison.Ordinal);

        _user.AddToGroup(_group);
        (code, stdout, stderr) = _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "full"));
        Assert.True(code == 0, $"exit {code}: {stdout} {stderr}");

        // The daemon saw who it was (SO_PEERCRED), not who it said it was.
        string uid = Tool.Run("id", "-u", _user.Name).Stdout.Trim();
        _daemon.WaitForOutput($"Session {stdout.Trim()[3..]} opened by pid");
        Assert.Contains($"uid {uid} gid", _daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Objects_open_to_another_user_only_by_mode_or_public_flag()
    {
        _user.AddToGroup(_group);
        using SupClient owner = _daemon.Connect();
        owner.RegisterObject(ObjectTypeId.Vm, "private-vm", mode: 0x180);
        owner.RegisterObject(ObjectTypeId.Vm, "others-vm", mode: 0x184);
        owner.RegisterObject(ObjectTypeId.Vm, "public-vm", mode: 0x180, flags: ObjectFlags.Public);

        (int code, string stdout, _) = _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "full", "open", "1", "private-vm"));
        Assert.Equal(3, code);
        Assert.Equal("STATUS PermissionDenied", stdout.Trim());

        Assert.Equal(0, _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "full", "open", "1", "others-vm")).ExitCode);
        Assert.Equal(0, _user.Run(Tool.PeerCommand("connect", _daemon.RunDir, "full", "open", "1", "public-vm")).ExitCode);

        // The owner itself is never refused.
        string[] asRoot = Tool.PeerCommand("connect", _daemon.RunDir, "full", "open", "1", "private-vm");
        Assert.Equal(0, Tool.Run(asRoot[0], asRoot[1..]).ExitCode);
    }

    public void Dispose()
    {
        _daemon.Dispose();
        _user.Dispose();
        Tool.Run("groupdel", _group);
    }
}
