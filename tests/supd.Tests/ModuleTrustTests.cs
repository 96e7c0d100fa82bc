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

    [Theory]
    [InlineData("file")]
    [InlineData("module-directory")]
    public void A_symbolic_link_in_a_module_path_is_refused(string which)
    {
        // The link points at a copy that would pass every check: the link itself is what is refused,
        // since whoever can change where it points decides what is loaded.
        string real = _modules.Install("test-flaky", "store-flaky");
        string moduleDir = Path.Combine(_modules.Path, "linked-flaky");
        string link;
        if (which == "file")
        {
            Directory.CreateDirectory(moduleDir);
            link = Path.Combine(moduleDir, "linked-flaky.dll");
            File.CreateSymbolicLink(link, Path.Combine(real, "store-flaky.dll"));
        }
        else
        {
            File.Move(Path.Combine(real, "store-flaky.dll"), Path.Combine(real, "linked-flaky.dll"));
            Directory.CreateSymbolicLink(moduleDir, real);
            link = moduleDir;
        }

        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        SupException refused = Assert.Throws<SupException>(() => client.OpenModule("linked-flaky"));
        Assert.Equal(SupStatus.UnsafeModulePath, refused.Status);
        Assert.StartsWith($"refusing {link}: it is a symbolic link", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ListModules(), m => !Daemon.StartModules.Contains(m.Name));

        // The walk's descriptors are closed; the daemon serves a fresh session.
        Assert.Equal(fds, _daemon.FdCount());
        using SupClient fresh = _daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void A_module_directory_inside_a_directory_another_user_owns_is_refused_naming_the_path_and_the_owner()
    {
        using var user = new TestUser();
        string parent = Directory.CreateTempSubdirectory("supd-foreign-").FullName;
        try
        {
            // The other user owns an ancestor of the configured directory, not the directory: it
            // could rename the whole tree away and put its own in place between check and load.
            File.SetUnixFileMode(parent, (UnixFileMode)0x1ed);
            Assert.Equal(0, Tool.Run("chown", user.Name, parent).ExitCode);
            uint uid = uint.Parse(Tool.Run("id", "-u", user.Name).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            string modules = Path.Combine(parent, "modules");
            Directory.CreateDirectory(modules);
            File.SetUnixFileMode(modules, (UnixFileMode)0x1ed);
            Directory.Move(_modules.Install("test-flaky", "foreign-parent-flaky"), Path.Combine(modules, "foreign-parent-flaky"));

            using Daemon daemon = Daemon.Start("--module-dir", modules);
            using SupClient client = daemon.Connect();
            SupException refused = Assert.Throws<SupException>(() => client.OpenModule("foreign-parent-flaky"));
            Assert.Equal(SupStatus.UnsafeModulePath, refused.Status);
            Assert.Equal($"refusing {parent}: it is owned by uid {uid}, not root", refused.Message);
            Assert.DoesNotContain(client.ListModules(), m => !Daemon.StartModules.Contains(m.Name));
            using SupClient fresh = daemon.Connect();
            fresh.Nop();
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void A_trusted_module_loads_from_the_checked_bytes_and_unloads_and_is_collected()
    {
        using SupClient client = _daemon.Connect();
        ModuleOpenReply open = client.OpenModule("sample-echo");
        client.LoadModule(open.Handle);
        SupReply echoed = client.CallModule(client.GetSymbol(open.Handle, "Echo"), 0, 0, [1, 2, 3], 16);
        Assert.Equal([1, 2, 3], echoed.Payload);
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(open.Handle));
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded && s.ModulesUnloaded > 0, "the module's load context to be collected");
    }

    public void Dispose()
    {
        _daemon.Dispose();
        _modules.Dispose();
    }
}
