using System.Buffers;
using SupHost.IntNet.Format;
using System.Text;
using System.Text.Json;
using SupHost.Abi;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet;

/// <summary>The network entry points (NetCreate, NetDelete, NetList, NetShow) and the networks' lives.</summary>
public sealed partial class IntNetModule
{
    /// <summary>The largest listing (the output buffer a client may pass).</summary>
    private const int MaxListing = 1 << 20;

    /// <summary>
    /// Creates a network without an interface (input: an OpenRequest; its sizes are ignored; bit 31
    /// of reserved: persistent, it stays without ports until NetDelete). Output: an OpenReply with
    /// handle 0 and created 1; a network of that name that exists is -16.
    /// </summary>
    [SupEntryPoint]
    public int NetCreate(ref ModuleCall call)
    {
        if (call.Output.Length < OpenReplySize)
        {
            return call.Fail(-2, $"the output buffer is {call.Output.Length} bytes; an OpenReply is {OpenReplySize}");
        }

        if (OpenRequest.TryParse(call.Input, create: true, MaxRingSize, out OpenRequest? request) is (int status, string message))
        {
            return call.Fail(status, message);
        }

        lock (_lock)
        {
            if (_networks.ContainsKey(request!.Network))
            {
                return call.Fail(-16, $"network '{request.Network}' exists");
            }

            if (CreateNetwork(call.Session, request, request.Persistent, out _) is (int refused, string why))
            {
                return call.Fail(refused, why);
            }
        }

        new IntNetOpenReply(0, true, 0, 0, 0, 0).Write(call.Output);
        call.OutputLength = OpenReplySize;
        return 0;
    }

    /// <summary>Deletes a network (input: its name, UTF-8): its interfaces are closed (word 144 bit 1) and its trunk disconnected.</summary>
    [SupEntryPoint]
    public int NetDelete(ref ModuleCall call)
    {
        if (NameOf(ref call, out string? name) is int bad)
        {
            return bad;
        }

        Network? network;
        lock (_lock)
        {
            if (!_networks.TryGetValue(name!, out network))
            {
                return call.Fail(-15, $"no network is named '{name}'");
            }

            if (!Host.Objects.VerifyAccess(call.Session, network.ObjectHandle))
            {
                return call.Fail(-10, $"network '{name}' belongs to uid {network.OwnerUid}; uid {call.Session.UserId} may not delete it");
            }

            _networks.Remove(name!);
            network.Destroyed = true;
        }

        Teardown(network);
        return 0;
    }

    /// <summary>Every network, as JSON: {"networks":[NETWORK...]} (docs/intnet.md, "Listings").</summary>
    [SupEntryPoint]
    public int NetList(ref ModuleCall call)
    {
        Network[] networks;
        lock (_lock)
        {
            networks = [.. _networks.Values.OrderBy(n => n.Name, StringComparer.Ordinal)];
        }

        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteStartArray("networks");
            foreach (Network network in networks)
            {
                json.WriteStartObject();
                Listing.WriteNetwork(json, network);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Answer(ref call, output.WrittenSpan);
    }

    /// <summary>One network with its ports, trunk and counters, as JSON (input: its name).</summary>
    [SupEntryPoint]
    public int NetShow(ref ModuleCall call)
    {
        if (NameOf(ref call, out string? name) is int bad)
        {
            return bad;
        }

        Network? network;
        lock (_lock)
        {
            network = _networks.GetValueOrDefault(name!);
        }

        if (network is null)
        {
            return call.Fail(-15, $"no network is named '{name}'");
        }

        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            Listing.WriteNetwork(json, network);
            Listing.WriteDetails(json, network);
            json.WriteEndObject();
        }

        return Answer(ref call, output.WrittenSpan);
    }

    private static int Answer(ref ModuleCall call, ReadOnlySpan<byte> listing)
    {
        if (listing.Length > call.Output.Length)
        {
            return call.Fail(-17, $"the listing is {listing.Length} bytes and the output buffer {call.Output.Length}; pass at least {listing.Length} (at most {MaxListing})");
        }

        listing.CopyTo(call.Output);
        call.OutputLength = listing.Length;
        return 0;
    }

    /// <summary>A network name from the call's input (UTF-8, 1 to 127 bytes, a trailing NUL allowed).</summary>
    private static int? NameOf(ref ModuleCall call, out string? name)
    {
        name = null;
        ReadOnlySpan<byte> input = call.Input;
        int nul = input.IndexOf((byte)0);
        if (nul >= 0)
        {
            input = input[..nul];
        }

        if (input.Length is 0 or > 127)
        {
            return call.Fail(-22, $"the network name is {input.Length} bytes; 1 to 127 are allowed");
        }

        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(input);
        }
        catch (DecoderFallbackException)
        {
            return call.Fail(-22, "the network name is not valid UTF-8");
        }

        return null;
    }

    /// <summary>
    /// Creates a network (under the lock): its policy by the original's defaults, its object (owned
    /// by the creator's uid, held by the module), its trunk when it asks for one.
    /// </summary>
    private (int, string)? CreateNetwork(ISessionIdentity session, OpenRequest request, bool persistent, out Network? network)
    {
        network = null;
        IModuleHost host = Host;
        TrunkType type = request.Trunk == TrunkType.WhateverNone ? TrunkType.None : request.Trunk;
        OpenFlags flags = Policy.ForNewNetwork(request.Flags, request.Trunk);
        var made = new Network(request.Network, type, request.TrunkName, flags, session.UserId, _contexts) { Persistent = persistent };

        // The trunk first: a network without its driver is not made at all.
        TrunkConnection? connection = null;
        if (type is TrunkType.NetFlt or TrunkType.NetAdp)
        {
            string factoryName = type == TrunkType.NetFlt ? TrunkContracts.NetFltFactory : TrunkContracts.NetAdpFactory;
            if (host.Components.Query(factoryName, TrunkContracts.FactoryInterfaceV1) is not ITrunkFactory factory)
            {
                return (-56, $"trunk {type} '{request.TrunkName}': no trunk driver is loaded (no factory '{factoryName}' answers the trunk interface)");
            }

            connection = new TrunkConnection(made, type, request.TrunkName);
            TrunkConnectFlags connect = (flags & OpenFlags.SharedMacOnWire) != OpenFlags.None ? TrunkConnectFlags.NoPromiscuous : TrunkConnectFlags.None;
            int status = factory.CreateAndConnect(request.TrunkName, connection, connect, out ITrunkPort? trunk);
            if (status != 0 || trunk is null)
            {
                string what = status switch
                {
                    -56 => "the driver has no such interface",
                    -57 => "the interface is connected to a network already",
                    _ => $"the driver refused it (status {status})",
                };
                return (status == 0 ? -56 : status, $"trunk {type} '{request.TrunkName}' through '{factoryName}': {what}");
            }

            connection.Attach(trunk);
        }

        // The object: owned by the creator (its uid and group decide access), held by the module.
        bool restricted = (flags & OpenFlags.AccessRestricted) != OpenFlags.None;
        try
        {
            made.ObjectHandle = host.Objects.Register(session, _networkType, null, restricted ? 0x1b0u : 0x1b6u, isPublic: !restricted, null, made);
        }
        catch (InvalidOperationException ex)
        {
            connection?.DisconnectFromSwitch();
            return (ex.Message.Contains("SessionEnded", StringComparison.Ordinal) ? -48 : -20, ex.Message);
        }

        int shared = host.Objects.Share(host.Identity, made.ObjectHandle);
        _ = host.Objects.Release(session, made.ObjectHandle);
        if (shared != 0)
        {
            connection?.DisconnectFromSwitch();
            return (shared, $"the module could not hold network '{request.Network}': status {shared}");
        }

        made.Trunk = connection;
        _networks.Add(made.Name, made);
        network = made;
        return null;
    }

    /// <summary>Takes a network out of the registry (under the lock) and releases its object; its trunk goes into <paramref name="disconnect"/>.</summary>
    private void Unlink(Network network, List<TrunkConnection> disconnect)
    {
        if (_networks.TryGetValue(network.Name, out Network? known) && known == network)
        {
            _networks.Remove(network.Name);
        }

        network.Destroyed = true;
        if (network.Trunk is TrunkConnection trunk)
        {
            network.Trunk = null;
            disconnect.Add(trunk);
        }

        if (network.ObjectHandle != 0)
        {
            _ = Host.Objects.Release(Host.Identity, network.ObjectHandle);
            network.ObjectHandle = 0;
        }
    }

    /// <summary>Ends a network that was taken out of the registry: its ports and captures closed, its trunk disconnected, its object released.</summary>
    private void Teardown(Network network)
    {
        CloseQemu(network);
        foreach (Port port in network.Ports)
        {
            if (port is InterfacePort client)
            {
                CloseInterface(client);
            }
            else if (port is DriverPort driven)
            {
                driven.DisconnectFromSwitch();
                lock (_lock)
                {
                    _ = network.Remove(driven);
                }
            }
        }

        foreach (Capture capture in network.Captures)
        {
            EndCapture(capture);
        }

        List<TrunkConnection> disconnect = [];
        lock (_lock)
        {
            Unlink(network, disconnect);
        }

        foreach (TrunkConnection trunk in disconnect)
        {
            trunk.DisconnectFromSwitch();
        }
    }
}
