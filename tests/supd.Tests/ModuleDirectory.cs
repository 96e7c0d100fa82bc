namespace Supd.Tests;

/// <summary>A module directory of the test's own (mode 0755, root's), holding copies of built modules.</summary>
public sealed class ModuleDirectory : IDisposable
{
    private const UnixFileMode Directory755 = (UnixFileMode)0x1ed;
    private const UnixFileMode File644 = (UnixFileMode)0x1a4;

    public ModuleDirectory()
    {
        Path = Directory.CreateTempSubdirectory("supd-modules-").FullName;
        File.SetUnixFileMode(Path, Directory755);
    }

    public string Path { get; }

    /// <summary>Copies the built module <paramref name="module"/> in as <paramref name="installAs"/>; returns its directory.</summary>
    public string Install(string module, string? installAs = null)
    {
        installAs ??= module;
        string source = System.IO.Path.Combine(AppContext.BaseDirectory, "modules", module);
        string target = System.IO.Path.Combine(Path, installAs);
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, Directory755);
        foreach (string file in Directory.GetFiles(source))
        {
            string name = System.IO.Path.GetFileName(file).Replace(module, installAs, StringComparison.Ordinal);
            string copy = System.IO.Path.Combine(target, name);
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File644);
        }

        return target;
    }

    /// <summary>Writes a file that claims to be module <paramref name="name"/>.</summary>
    public string InstallBytes(string name, byte[] content)
    {
        string target = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, Directory755);
        string file = System.IO.Path.Combine(target, name + ".dll");
        File.WriteAllBytes(file, content);
        File.SetUnixFileMode(file, File644);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
