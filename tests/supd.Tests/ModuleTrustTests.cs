using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public sealed class ModuleTrustTests : IDisposable
{
    private readonly ModuleDirectory _modules = new();
    private readonly Daemon _daemon;

    public ModuleTrustTests() => _daemon = Daemon.Start("--module-dir", _modules.Path);

    [Fact]
    public void A_module_from_a_configured_directory_loads()
    {
        _modules.Install("sample-echo", "copied-echo");
        File.WriteAllText(Path.Combine(_modules.Path, "copied-echo", "note.txt"), "installed by the test");
        using SupClient client = _daemon.Connect();

        // The copy still declares "sample-echo": a module is what it says it is, not what its file is called.
        SupException renamed = Assert.Throws<SupException>(() => client.OpenModule("copied-echo"));
        Assert.Equal(SupStatus.InvalidModule, renamed.Status);
        Assert.Contains("declares module 'sample-echo' but is installed as 'copied-echo'", renamed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("directory", 0x1ff, "it is writable by everyone (mode 0777)")]
    [InlineData("module-directory", 0x1ef, "it is writable by everyone (mode 0757)")]
    [InlineData("file", 0x1b4, "it is writable by its group 0 (mode 0664)")]
    public void Paths_others_could_change_are_refused_with_the_path_and_why(string which, int mode, string why)
    {
        // Installed under a name of its own, so that the daemon's own modules/ cannot answer first.
        string moduleDir = _modules.Install("test-flaky", "unsafe-flaky");
        string path = which switch
        {
            "directory" => _modules.Path,
            "module-directory" => moduleDir,
            _ => Path.Combine(moduleDir, "unsafe-flaky.dll"),
        };
        File.SetUnixFileMode(path, (UnixFileMode)mode);

        using SupClient client = _daemon.Connect();
        SupException refused = Assert.Throws<SupException>(() => client.OpenModule("unsafe-flaky"));
        Assert.Equal(SupStatus.UnsafeModulePath, refused.Status);
        Assert.Equal($"refusing {path}: {why}", refused.Message);
    }

    [Fact]
    public void A_file_owned_by_another_user_is_refused()
    {
        string moduleDir = _modules.Install("test-flaky", "foreign-flaky");
        string file = Path.Combine(moduleDir, "foreign-flaky.dll");
        Assert.Equal(0, Tool.Run("chown", "65534", file).ExitCode);
        using SupClient client = _daemon.Connect();
        SupException refused = Assert.Throws<SupException>(() => client.OpenModule("foreign-flaky"));
        Assert.Equal(SupStatus.UnsafeModulePath, refused.Status);
        Assert.Equal($"refusing {file}: it is owned by uid 65534, not root", refused.Message);
    }

    [Fact]
    public void A_corrupt_file_is_refused_and_the_daemon_goes_on()
    {
        _modules.InstallBytes("corrupt", [0x4d, 0x5a, 0x90, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        _modules.InstallBytes("empty", []);
        using SupClient client = _daemon.Connect();
        SupException corrupt = Assert.Throws<SupException>(() => client.OpenModule("corrupt"));
        Assert.Equal(SupStatus.InvalidModule, corrupt.Status);
        Assert.Contains("is not a loadable .NET assembly", corrupt.Message, StringComparison.Ordinal);
        Assert.Equal(SupStatus.InvalidModule, Assert.Throws<SupException>(() => client.OpenModule("empty")).Status);

        // A .NET assembly that is no module.
        string notModule = Path.Combine(_modules.Path, "not-module");
        Directory.CreateDirectory(notModule);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "SupHost.Protocol.dll"), Path.Combine(notModule, "not-module.dll"));
        SupException plain = Assert.Throws<SupException>(() => client.OpenModule("not-module"));
        Assert.Equal(SupStatus.InvalidModule, plain.Status);
        Assert.Contains("has no [assembly: SupModule(...)] declaration", plain.Message, StringComparison.Ordinal);

        client.Nop();
        Assert.Equal(SupStatus.Success, client.LoadModule(client.OpenModule("sample-echo").Handle));
    }

    public void Dispose()
    {
        _daemon.Dispose();
        _modules.Dispose();
    }
}
