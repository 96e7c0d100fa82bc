using System.Globalization;
using System.Text.Json;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>The QEMU parts of NetShow's JSON (docs/networking.md, "QEMU guests"): a port's peer and queue, a network's back-ends.</summary>
internal static class QemuListing
{
    /// <summary>A QEMU port's own fields, inside its object of "ports".</summary>
    public static void WritePort(Utf8JsonWriter json, QemuPort port)
    {
        json.WriteString("peer", port.Peer);
        json.WriteString("endpoint", port.Endpoint.Path);
        json.WriteString("connected", port.Connected.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        json.WriteNumber("queuedBytes", port.Queued);
        json.WriteNumber("queueBytes", port.QueueCapacity);
        if (port is QemuStreamPort stream)
        {
            json.WriteNumber("partialBytes", stream.Partial);
        }
    }

    /// <summary>"qemu": the network's back-ends, each with its counters.</summary>
    public static void WriteEndpoints(Utf8JsonWriter json, Network network)
    {
        json.WriteStartArray("qemu");
        foreach (QemuEndpoint endpoint in network.QemuEndpoints)
        {
            QemuEndpointCounters counters = endpoint.Counters;
            json.WriteStartObject();
            json.WriteString("kind", endpoint.Kind);
            json.WriteString("path", endpoint.Path);
            json.WriteString("state", endpoint.State);
            if (endpoint.LastError is string error)
            {
                json.WriteString("lastError", error);
            }
            else
            {
                json.WriteNull("lastError");
            }

            json.WriteNumber("ports", endpoint.Ports.Length);
            json.WriteNumber("maxPeers", endpoint.Options.MaxPeers);
            json.WriteNumber("idleMs", endpoint.Options.IdleMilliseconds);
            json.WriteNumber("queueBytes", endpoint.Options.QueueBytes);
            json.WriteStartObject("counters");
            json.WriteNumber("connections", counters.Connections);
            json.WriteNumber("refused", counters.Refused);
            json.WriteNumber("badLength", counters.BadLength);
            json.WriteNumber("truncated", counters.Truncated);
            json.WriteNumber("stalled", counters.Stalled);
            json.WriteNumber("expired", counters.Expired);
            json.WriteNumber("sendFailed", counters.SendFailed);
            json.WriteNumber("unnamed", counters.Unnamed);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
