using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Supctl.Commands;

/// <summary>
/// The tables and summaries of <c>supctl net</c>, rendered from the intnet module's JSON listings
/// (docs/intnet.md, "Listings"). A field the document lacks shows as "-", so an older or newer
/// module still prints.
/// </summary>
internal static class NetRender
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The module's document re-indented for people (field names and values as the module wrote them).</summary>
    public static string Indented(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement, s_indented) + Environment.NewLine;
    }

    /// <summary>NetList's <c>{"networks":[...]}</c> as a table, one network a row.</summary>
    public static string List(string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new Table("NAME", "TRUNK", "ACCESS", "PORTS", "ACTIVE", "CAPTURING", "PERSISTENT", "OWNER", "CREATED");
        if (document.RootElement.TryGetProperty("networks", out JsonElement networks) && networks.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement n in networks.EnumerateArray())
            {
                table.Add(Text(n, "name"), Trunk(n), Text(n.TryGetProperty("policy", out JsonElement p) ? p : default, "access"),
                    Text(n, "portCount"), Text(n, "activePorts"), Text(n, "capturing"), YesNo(n, "persistent"), Text(n, "ownerUid"), Text(n, "created"));
            }
        }

        return table.ToString();
    }

    /// <summary>How many networks and ports a NetList document holds (for <c>supctl status</c>).</summary>
    public static (int Networks, long Ports) Count(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("networks", out JsonElement networks) || networks.ValueKind != JsonValueKind.Array)
        {
            return (0, 0);
        }

        long ports = 0;
        foreach (JsonElement n in networks.EnumerateArray())
        {
            if (n.TryGetProperty("portCount", out JsonElement count) && count.TryGetInt64(out long value))
            {
                ports += value;
            }
        }

        return (networks.GetArrayLength(), ports);
    }

    /// <summary>NetShow's document: the network, its policy, its counters, its trunk and a table of its ports.</summary>
    public static string Show(string json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement n = document.RootElement;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"network         {Text(n, "name")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"trunk           {Trunk(n)}");
        string flags = n.TryGetProperty("flags", out JsonElement f) && f.TryGetUInt32(out uint bits) ? $"0x{bits:x8}" : "-";
        text.AppendLine(CultureInfo.InvariantCulture, $"flags           {flags}");
        text.AppendLine(CultureInfo.InvariantCulture, $"persistent      {YesNo(n, "persistent")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"owner           uid {Text(n, "ownerUid")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"created         {Text(n, "created")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"ports           {Text(n, "portCount")} ({Text(n, "activePorts")} active), {Text(n, "capturing")} capturing");
        if (n.TryGetProperty("policy", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"access          {Text(p, "access")}");
            text.AppendLine(CultureInfo.InvariantCulture, $"promiscuous     clients {Text(p, "promiscuousClients")}, trunk host {Text(p, "promiscuousTrunkHost")}, trunk wire {Text(p, "promiscuousTrunkWire")}");
            text.AppendLine(CultureInfo.InvariantCulture, $"trunk ends      host {Text(p, "trunkHost")} ({Text(p, "trunkHostMode")}), wire {Text(p, "trunkWire")} ({Text(p, "trunkWireMode")}){(p.TryGetProperty("sharedMacOnWire", out JsonElement shared) && shared.ValueKind == JsonValueKind.True ? ", MAC shared on the wire" : string.Empty)}");
            string @fixed = p.TryGetProperty("fixed", out JsonElement fx) && fx.ValueKind == JsonValueKind.Array && fx.GetArrayLength() > 0
                ? string.Join(", ", fx.EnumerateArray().Select(e => e.ToString()))
                : "none";
            text.AppendLine(CultureInfo.InvariantCulture, $"fixed           {@fixed}");
        }

        if (n.TryGetProperty("counters", out JsonElement c) && c.ValueKind == JsonValueKind.Object)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"switched        {Text(c, "switched")} frames, {Text(c, "dropped")} dropped, {Text(c, "tooShort")} too short, {Text(c, "bad")} bad, {Text(c, "captureLost")} lost by captures");
        }

        if (n.TryGetProperty("trunk", out JsonElement t) && t.ValueKind == JsonValueKind.Object)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"trunk port      {Text(t, "type")} {Text(t, "name")}, {Text(t, "state")}, host MAC {Text(t, "hostMac")}{(t.TryGetProperty("hostPromiscuous", out JsonElement hp) && hp.ValueKind == JsonValueKind.True ? " (promiscuous)" : string.Empty)}, GSO host 0x{Hex(t, "gsoHost")} wire 0x{Hex(t, "gsoWire")}");
            if (t.TryGetProperty("counters", out JsonElement tc))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"trunk counters  in {Text(tc, "framesIn")} frames / {Text(tc, "bytesIn")} bytes, out {Text(tc, "framesOut")} / {Text(tc, "bytesOut")}, lost {Text(tc, "lost")}, bad {Text(tc, "bad")}");
            }
        }

        text.AppendLine();
        var table = new Table("PORT", "KIND", "SESSION", "PID", "MAC", "STATE", "PROMISC", "GSO", "IN", "OUT", "LOST", "BAD");
        if (n.TryGetProperty("ports", out JsonElement ports) && ports.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement port in ports.EnumerateArray())
            {
                JsonElement pc = port.TryGetProperty("counters", out JsonElement counters) ? counters : default;
                string mac = Text(port, "mac") + (port.TryGetProperty("macSet", out JsonElement set) && set.ValueKind == JsonValueKind.True ? " (set)" : string.Empty);
                string promiscuous = Flag(port, "promiscuous") ? "yes" : Flag(port, "promiscuousRequested") ? "asked (denied)" : "no";
                table.Add(Text(port, "id"), Text(port, "kind"), Text(port, "sessionId"), Text(port, "processId"), mac,
                    Flag(port, "active") ? "active" : "inactive", promiscuous, YesNo(port, "gso"),
                    $"{Text(pc, "framesIn")}/{Text(pc, "bytesIn")}", $"{Text(pc, "framesOut")}/{Text(pc, "bytesOut")}", Text(pc, "lost"), Text(pc, "bad"));
            }
        }

        text.Append(table);
        AppendQemu(text, n);
        return text.ToString();
    }

    /// <summary>The QEMU back-ends and the peers of the QEMU ports, under the port table.</summary>
    private static void AppendQemu(StringBuilder text, JsonElement network)
    {
        if (network.TryGetProperty("ports", out JsonElement ports) && ports.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement port in ports.EnumerateArray().Where(p => p.TryGetProperty("peer", out _)))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"port {Text(port, "id")} peer   {Text(port, "peer")}, queued {Text(port, "queuedBytes")} of {Text(port, "queueBytes")} bytes, since {Text(port, "connected")}");
            }
        }

        if (!network.TryGetProperty("qemu", out JsonElement qemu) || qemu.ValueKind != JsonValueKind.Array || qemu.GetArrayLength() == 0)
        {
            return;
        }

        text.AppendLine();
        foreach (JsonElement e in qemu.EnumerateArray())
        {
            JsonElement c = e.TryGetProperty("counters", out JsonElement counters) ? counters : default;
            string error = e.TryGetProperty("lastError", out JsonElement last) && last.ValueKind == JsonValueKind.String ? $" (last: {last.GetString()})" : string.Empty;
            text.AppendLine(CultureInfo.InvariantCulture, $"qemu {Text(e, "kind")} {Text(e, "path")}: {Text(e, "state")}{error}, {Text(e, "ports")} ports of {Text(e, "maxPeers")}; connections {Text(c, "connections")}, refused {Text(c, "refused")}, bad length {Text(c, "badLength")}, truncated {Text(c, "truncated")}, stalled {Text(c, "stalled")}, expired {Text(c, "expired")}, send failed {Text(c, "sendFailed")}, unnamed {Text(c, "unnamed")}");
        }
    }

    private static string Trunk(JsonElement network)
    {
        string type = Text(network, "trunkType");
        string name = network.TryGetProperty("trunk", out JsonElement trunk) && trunk.ValueKind == JsonValueKind.String ? trunk.GetString() ?? string.Empty
            : network.TryGetProperty("trunk", out trunk) && trunk.ValueKind == JsonValueKind.Object ? Text(trunk, "name")
            : string.Empty;
        return name.Length == 0 ? type : $"{type}:{name}";
    }

    private static bool Flag(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.True;

    private static string YesNo(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? (value.ValueKind == JsonValueKind.True ? "yes" : "no")
            : "-";

    private static string Hex(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.TryGetUInt32(out uint bits) ? bits.ToString("x", CultureInfo.InvariantCulture) : "-";

    private static string Text(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out JsonElement value))
        {
            return "-";
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : "-",
            JsonValueKind.Null or JsonValueKind.Undefined => "-",
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            _ => value.GetRawText(),
        };
    }
}
