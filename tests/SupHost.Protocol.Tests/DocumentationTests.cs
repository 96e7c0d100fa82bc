using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SupHost.Protocol.Tests;

/// <summary>
/// The wire documentation is part of the interface: every field of every JSON listing and every
/// status must be described in docs/protocol.md, so that a client can be written from it alone.
/// </summary>
public class DocumentationTests
{
    private static readonly Type[] s_listings =
    [
        typeof(StatusInfo), typeof(SessionInfo), typeof(ObjectInfo), typeof(ObjectUsageInfo), typeof(FactoryInfo),
        typeof(ModuleInfo), typeof(MemoryInfo), typeof(GipInfo), typeof(GipCpuInfo), typeof(GipDeviation),
    ];

    public static TheoryData<string> Listings() => [.. s_listings.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Listings))]
    public void Every_field_of_a_listing_is_documented(string typeName)
    {
        Type type = s_listings.Single(t => t.Name == typeName);
        string section = Section(Protocol(), $"### `{typeName}`");
        var missing = JsonNames(type).Where(name => !section.Contains($"`{name}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"docs/protocol.md, section `{typeName}`, does not describe: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_status_is_in_the_status_table()
    {
        string table = Section(Protocol(), "## Statuses").Replace('\u2212', '-');
        var missing = Enum.GetValues<SupStatus>().Where(s => !table.Contains($"| {(int)s} | `{s}` |", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"docs/protocol.md's status table lacks: {string.Join(", ", missing)}");
    }

    private static IEnumerable<string> JsonNames(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name));

    /// <summary>The text from <paramref name="heading"/> to the next heading of the same or a higher level.</summary>
    private static string Section(string document, string heading)
    {
        int start = document.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/protocol.md has no heading '{heading}'");
        string level = heading[..(heading.IndexOf(' ', StringComparison.Ordinal) + 1)];
        int end = start + heading.Length + 2;
        while (true)
        {
            int next = document.IndexOf("\n#", end, StringComparison.Ordinal);
            if (next < 0)
            {
                return document[start..];
            }

            string rest = document[(next + 1)..];
            int hashes = rest.TakeWhile(c => c == '#').Count();
            if (hashes <= level.Length - 1)
            {
                return document[start..next];
            }

            end = next + 1;
        }
    }

    private static string Protocol()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "SupHost.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return File.ReadAllText(Path.Combine(dir ?? throw new InvalidOperationException("SupHost.slnx not found"), "docs", "protocol.md")).ReplaceLineEndings("\n");
    }
}
