using System.Buffers;
using System.Text.Json;

namespace SupHost.NetAdp.Internal;

/// <summary>
/// The state file of the module (adapters.json in its state directory): the adapters one daemon
/// made, with the daemon's pid and start identity, and whether it stopped cleanly. Written by the
/// daemon only, but parsed as hostile all the same: every field checked, at most
/// <see cref="NetAdpModule.MaxAdapters"/> adapters taken.
/// </summary>
internal sealed record AdapterRecord(int Pid, string Start, bool Stopped, IReadOnlyList<RecordedAdapter> Adapters)
{
    public const string FileName = "adapters.json";

    /// <summary>The largest state file read.</summary>
    public const int MaxBytes = 256 * 1024;

    public byte[] Serialize()
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", Pid);
            json.WriteString("start", Start);
            json.WriteBoolean("stopped", Stopped);
            json.WriteStartArray("adapters");
            foreach (RecordedAdapter adapter in Adapters)
            {
                json.WriteStartObject();
                json.WriteString("name", adapter.Name);
                json.WriteString("netns", adapter.Namespace);
                json.WriteString("mac", Adapter.Format(adapter.Mac));
                json.WriteNumber("mtu", adapter.Mtu);
                json.WriteNumber("unit", adapter.Unit);
                json.WriteBoolean("kept", adapter.Kept);
                json.WriteBoolean("keepAsked", adapter.KeepAsked);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>The record in <paramref name="content"/>, or why it cannot be read.</summary>
    public static string? TryParse(ReadOnlySpan<byte> content, out AdapterRecord? record)
    {
        record = null;
        try
        {
            using var document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("pid", out JsonElement pid) || !pid.TryGetInt32(out int pidValue)
                || !root.TryGetProperty("start", out JsonElement start) || start.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("stopped", out JsonElement stopped) || stopped.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
                || !root.TryGetProperty("adapters", out JsonElement adapters) || adapters.ValueKind != JsonValueKind.Array)
            {
                return "not a record (pid, start, stopped, adapters)";
            }

            var list = new List<RecordedAdapter>();
            var names = new HashSet<(string, string?)>();
            foreach (JsonElement a in adapters.EnumerateArray())
            {
                if (list.Count == NetAdpModule.MaxAdapters)
                {
                    return $"more than {NetAdpModule.MaxAdapters} adapters";
                }

                string? name = a.ValueKind == JsonValueKind.Object && a.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                string? netns = a.ValueKind == JsonValueKind.Object && a.TryGetProperty("netns", out JsonElement ns) && ns.ValueKind == JsonValueKind.String ? ns.GetString() : null;
                byte[]? mac = a.ValueKind == JsonValueKind.Object && a.TryGetProperty("mac", out JsonElement m) && m.ValueKind == JsonValueKind.String ? AddRequest.ParseMac(m.GetString()) : null;
                if (!AddRequest.IsLinkName(name) || (netns is not null && !AddRequest.IsNamespaceName(netns)) || mac is null
                    || !a.TryGetProperty("mtu", out JsonElement mtu) || !mtu.TryGetInt32(out int mtuValue) || mtuValue is < 68 or > 65535
                    || !a.TryGetProperty("unit", out JsonElement unit) || !unit.TryGetInt32(out int unitValue) || unitValue is < 0 or >= NetAdpModule.MaxAdapters
                    || !a.TryGetProperty("kept", out JsonElement kept) || kept.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
                    || !a.TryGetProperty("keepAsked", out JsonElement asked) || asked.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return $"adapter {list.Count} is not a recorded adapter (name, netns, mac, mtu, unit, kept, keepAsked)";
                }

                if (!names.Add((name!, netns)))
                {
                    return $"adapter {name} is recorded twice";
                }

                list.Add(new RecordedAdapter(name!, netns, mac, mtuValue, unitValue, kept.GetBoolean(), asked.GetBoolean()));
            }

            record = new AdapterRecord(pidValue, start.GetString()!, stopped.GetBoolean(), list);
            return null;
        }
        catch (JsonException ex)
        {
            return $"not JSON ({ex.Message})";
        }
    }
}
