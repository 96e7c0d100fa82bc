using System.Globalization;
using System.Text.Json;
using SupHost.IntNet.Internal.Qemu;

namespace SupHost.IntNet.Internal;

/// <summary>The JSON of NetList and NetShow (docs/intnet.md, "Listings"): camelCase, stable field names.</summary>
internal static class Listing
{
    public static void WriteNetwork(Utf8JsonWriter json, Network network)
    {
        OpenFlags flags = network.Flags;
        Port[] ports = network.Ports;
        json.WriteString("name", network.Name);
        json.WriteString("trunkType", TrunkTypeName(network.TrunkType));
        json.WriteString("trunk", network.TrunkName);
        json.WriteNumber("flags", (uint)flags);
        json.WriteBoolean("persistent", network.Persistent);
        json.WriteNumber("ownerUid", network.OwnerUid);
        json.WriteString("created", network.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        json.WriteStartObject("policy");
        json.WriteString("access", Has(flags, OpenFlags.AccessRestricted) ? "restricted" : "public");
        json.WriteString("promiscuousClients", Has(flags, OpenFlags.PromiscDenyClients) ? "deny" : "allow");
        json.WriteString("promiscuousTrunkHost", Has(flags, OpenFlags.PromiscDenyTrunkHost) ? "deny" : "allow");
        json.WriteString("promiscuousTrunkWire", Has(flags, OpenFlags.PromiscDenyTrunkWire) ? "deny" : "allow");
        json.WriteString("trunkHost", Has(flags, OpenFlags.TrunkHostDisabled) ? "disabled" : "enabled");
        json.WriteString("trunkHostMode", Has(flags, OpenFlags.TrunkHostPromiscMode) ? "promiscuous" : "chaste");
        json.WriteString("trunkWire", Has(flags, OpenFlags.TrunkWireDisabled) ? "disabled" : "enabled");
        json.WriteString("trunkWireMode", Has(flags, OpenFlags.TrunkWirePromiscMode) ? "promiscuous" : "chaste");
        json.WriteBoolean("sharedMacOnWire", Has(flags, OpenFlags.SharedMacOnWire));
        json.WriteStartArray("fixed");
        if (Has(flags, OpenFlags.AccessFixed))
        {
            json.WriteStringValue("access");
        }

        if (Has(flags, OpenFlags.PromiscFixed))
        {
            json.WriteStringValue("promiscuous");
        }

        if (Has(flags, OpenFlags.TrunkFixed))
        {
            json.WriteStringValue("trunk");
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNumber("portCount", ports.Length);
        json.WriteNumber("activePorts", ports.Count(p => p.Active));
        json.WriteNumber("capturing", network.Captures.Length);
    }

    public static void WriteDetails(Utf8JsonWriter json, Network network)
    {
        json.WriteStartArray("ports");
        foreach (Port port in network.Ports)
        {
            json.WriteStartObject();
            json.WriteNumber("id", port.Id);
            json.WriteString("kind", port.Kind);
            if (port is InterfacePort client)
            {
                json.WriteNumber("sessionId", client.Session.Id);
                json.WriteNumber("processId", client.Session.ProcessId);
            }
            else if (port is QemuPort qemu)
            {
                QemuListing.WritePort(json, qemu);
            }
            else if (port is DriverPort driven)
            {
                json.WriteString("device", driven.Device);
            }

            json.WriteString("mac", IntNet.Mac.Format(port.Mac));
            json.WriteBoolean("macSet", port.MacSet);
            json.WriteBoolean("active", port.Active);
            json.WriteBoolean("promiscuous", port.Promiscuous);
            json.WriteBoolean("promiscuousRequested", port.PromiscuousRequested);
            json.WriteBoolean("gso", port.Gso);
            WriteCounters(json, port.Counters);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (network.Trunk is TrunkConnection trunk)
        {
            json.WriteStartObject("trunk");
            json.WriteString("type", TrunkTypeName(trunk.Type));
            json.WriteString("name", trunk.Name);
            json.WriteString("state", trunk.State);
            json.WriteString("hostMac", IntNet.Mac.Format(trunk.HostMac));
            json.WriteBoolean("hostPromiscuous", trunk.HostPromiscuous);
            json.WriteNumber("gsoHost", trunk.GsoHost);
            json.WriteNumber("gsoWire", trunk.GsoWire);
            WriteCounters(json, trunk.Counters);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("trunk");
        }

        QemuListing.WriteEndpoints(json, network);
        NetworkCounters counters = network.Counters;
        json.WriteStartObject("counters");
        json.WriteNumber("switched", counters.Switched);
        json.WriteNumber("dropped", counters.Dropped);
        json.WriteNumber("tooShort", counters.TooShort);
        json.WriteNumber("bad", counters.Bad);
        json.WriteNumber("captureLost", counters.CaptureLost);
        json.WriteEndObject();
    }

    private static void WriteCounters(Utf8JsonWriter json, PortCounters counters)
    {
        json.WriteStartObject("counters");
        json.WriteNumber("framesIn", counters.FramesIn);
        json.WriteNumber("bytesIn", counters.BytesIn);
        json.WriteNumber("framesOut", counters.FramesOut);
        json.WriteNumber("bytesOut", counters.BytesOut);
        json.WriteNumber("lost", counters.Lost);
        json.WriteNumber("bad", counters.Bad);
        json.WriteEndObject();
    }

    private static bool Has(OpenFlags flags, OpenFlags bit) => (flags & bit) != OpenFlags.None;

    private static string TrunkTypeName(TrunkType type) => type switch
    {
        TrunkType.None => "none",
        TrunkType.WhateverNone => "whatever-none",
        TrunkType.NetFlt => "netflt",
        TrunkType.NetAdp => "netadp",
        TrunkType.SrvNat => "srvnat",
        _ => "invalid",
    };
}
