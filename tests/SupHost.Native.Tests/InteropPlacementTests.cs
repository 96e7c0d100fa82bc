namespace SupHost.Native.Tests;

public class InteropPlacementTests
{
    [Fact]
    public void Native_imports_live_only_in_SupHost_Native_and_each_is_declared_once()
    {
        string root = FindRepositoryRoot();
        var entryPoints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal) || relative.StartsWith("tests/", StringComparison.Ordinal))
            {
                continue;
            }

            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (!line.Contains("[LibraryImport(", StringComparison.Ordinal) && !line.Contains("[DllImport(", StringComparison.Ordinal))
                {
                    continue;
                }

                Assert.True(relative.StartsWith("src/SupHost.Native/", StringComparison.Ordinal), $"{relative}:{i + 1} imports native code outside SupHost.Native");
                int start = line.IndexOf("EntryPoint = \"", StringComparison.Ordinal);
                Assert.True(start >= 0, $"{relative}:{i + 1} has no EntryPoint");
                string name = line[(start + 14)..line.IndexOf('"', start + 14)];
                Assert.False(entryPoints.ContainsKey(name), $"{name} is declared twice: {entryPoints.GetValueOrDefault(name)} and {relative}");
                entryPoints[name] = relative;
            }
        }

        Assert.True(entryPoints.ContainsKey("sendmsg"), "sendmsg should be imported by SupHost.Native");
    }

    private static string FindRepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "SupHost.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("SupHost.slnx not found above " + AppContext.BaseDirectory);
    }
}
