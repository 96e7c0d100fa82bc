using SupHost.Abi;
using SupHost.IntNet.Format;
using SupHost.IntNet.Internal.Qemu;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A named network: its policy, its ports (a copy-on-write array: the switch reads it without a
/// lock), its trunk, its captures and its counters. Membership and policy change under the module's
/// lock; <see cref="Switch"/> runs on any thread, concurrently.
/// </summary>
internal sealed class Network(string name, TrunkType trunkType, string trunkName, OpenFlags flags, uint ownerUid, SwitchContextPool contexts)
{
    /// <summary>The smallest GSO entry: the context and an Ethernet header.</summary>
    private const int GsoContextSize = 8;

    private Port[] _ports = [];
    private Capture[] _captures = [];
    private TrunkConnection? _trunk;

    public string Name { get; } = name;

    /// <summary>None, NetFlt, NetAdp or SrvNat (a network opened with WhateverNone has none); NetTrunk changes it, under the module's lock.</summary>
    public TrunkType TrunkType { get; set; } = trunkType;

    public string TrunkName { get; set; } = trunkName;

    /// <summary>The network's policy (the original's fFlags): changes on joins, under the module's lock.</summary>
    public OpenFlags Flags { get; set; } = flags;

    /// <summary>The restrictive halves REQUIRE_AS_RESTRICTIVE_POLICIES opens asked for: they stay.</summary>
    public OpenFlags Minimum { get; set; }

    public bool Persistent { get; set; }

    public uint OwnerUid { get; } = ownerUid;

    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    /// <summary>The network's object (type intnet-network), held by the module while the network lives.</summary>
    public ulong ObjectHandle { get; set; }

    public bool Destroyed { get; set; }

    public NetworkCounters Counters { get; } = new();

    public SwitchContextPool Contexts { get; } = contexts;

    public Port[] Ports => Volatile.Read(ref _ports);

    public Capture[] Captures => Volatile.Read(ref _captures);

    public TrunkConnection? Trunk
    {
        get => Volatile.Read(ref _trunk);
        set => Volatile.Write(ref _trunk, value);
    }

    /// <summary>Its QEMU back-ends (NetQemuAdd; replaced whole under the module's lock).</summary>
    public QemuEndpoint[] QemuEndpoints { get; set; } = [];

    public bool PromiscuousClientsAllowed => (Flags & OpenFlags.PromiscAllowClients) != OpenFlags.None;

    /// <summary>Adds a port (under the module's lock).</summary>
    public void Add(Port port) => Volatile.Write(ref _ports, [.. _ports, port]);

    /// <summary>Removes a port (under the module's lock); false when it was not there.</summary>
    public bool Remove(Port port)
    {
        Port[] ports = _ports;
        int index = Array.IndexOf(ports, port);
        if (index < 0)
        {
            return false;
        }

        Volatile.Write(ref _ports, [.. ports[..index], .. ports[(index + 1)..]]);
        return true;
    }

    public void Add(Capture capture) => Volatile.Write(ref _captures, [.. _captures, capture]);

    public bool Remove(Capture capture)
    {
        Capture[] captures = _captures;
        int index = Array.IndexOf(captures, capture);
        if (index < 0)
        {
            return false;
        }

        Volatile.Write(ref _captures, [.. captures[..index], .. captures[(index + 1)..]]);
        return true;
    }

    /// <summary>
    /// Switches one frame (REFERENCE.md §8): from <paramref name="source"/>, or from the trunk's
    /// <paramref name="sourceEnd"/> when it is null. A GSO frame's context is checked first. Frames
    /// shorter than an Ethernet header are dropped and counted. Returns false for a frame that is
    /// bad (a GSO frame with a bad context): the caller counts it. <paramref name="stable"/> says
    /// whether the frame lies in memory nobody can change during the call (a driver module's own
    /// buffer, ISwitchPort's contract), not a client's shared ring: a GSO entry from shared memory
    /// is copied first, a stable one is validated and sent on where it lies.
    /// </summary>
    public bool Switch(Port? source, TrunkDirection sourceEnd, ReadOnlySpan<byte> frame, FrameType type, SwitchContext context, bool stable = false)
    {
        // A frame in shared memory can be rewritten by the sender at any moment: what is decided on
        // (the addresses) is read once into locals, and a GSO entry is copied whole into the
        // context's private buffer first, and validated, segmented, delivered and captured from
        // there: the headers that were checked are the headers that go out. A stable frame cannot
        // change between the check and the use, so it needs no copy; the checks are the same.
        ReadOnlySpan<byte> ethernet = frame;
        GsoContext gso = default;
        if (type == FrameType.Gso)
        {
            if (!(stable ? TryReadGso(frame, out gso) : TryCopyGso(ref frame, context, out gso)))
            {
                Counters.CountBad();
                return false;
            }

            ethernet = frame[GsoContextSize..];
        }

        if (ethernet.Length < Switching.MinimumFrame)
        {
            Counters.CountTooShort();
            return true;
        }

        ulong destination = IntNet.Mac.Read(ethernet);
        ulong sourceMac = IntNet.Mac.Read(ethernet[6..]);
        source?.Learn(sourceMac);

        // Decide over a snapshot of the ports.
        Port[] ports = Ports;
        Span<PortView> views = context.Views(ports.Length);
        int sourceIndex = -1;
        for (int i = 0; i < ports.Length; i++)
        {
            Port port = ports[i];
            views[i] = port.IsClosed ? default : port.View;
            if (ReferenceEquals(port, source))
            {
                sourceIndex = i;
            }
        }

        if (source is not null && sourceIndex < 0)
        {
            // The sender left the network meanwhile.
            return true;
        }

        TrunkConnection? trunk = Trunk;
        TrunkView trunkView = trunk?.View(Flags) ?? TrunkView.None;
        TrunkDirection ends = Switching.Decide(views, sourceIndex, sourceEnd, trunkView, destination, context.Destinations);

        // Deliver: one copy into each destination's receive ring.
        foreach (int index in context.Destinations)
        {
            Port port = ports[index];
            if (type == FrameType.Gso && !port.AcceptsGso(gso.Type))
            {
                DeliverSegments(port, gso, ethernet, context);
                continue;
            }

            port.Deliver(frame, type, context.Touched);
        }

        if (ends != TrunkDirection.None && trunk is not null)
        {
            trunk.Transmit(frame, type, ends, context);
        }

        Capture[] captures = Captures;
        if (captures.Length != 0)
        {
            uint sourceId = source?.Id ?? (sourceEnd == TrunkDirection.Host ? Capture.HostEnd : Capture.WireEnd);
            foreach (Capture capture in captures)
            {
                if (!capture.Record(ethernet, sourceId, context))
                {
                    Counters.CountCaptureLost();
                }
            }
        }

        if (context.Destinations.Count == 0 && ends == TrunkDirection.None)
        {
            Counters.CountDropped();
        }
        else
        {
            Counters.CountSwitched();
        }

        return true;
    }

    /// <summary>
    /// Where the switch would send a frame with these headers, from the trunk's <paramref name="sourceEnd"/>
    /// (the trunk's PreReceive): the network's ports, the other end, both, or nobody.
    /// </summary>
    public SwitchDecision Decide(ReadOnlySpan<byte> headers, TrunkDirection sourceEnd)
    {
        if (headers.Length < Switching.MinimumFrame)
        {
            return SwitchDecision.Drop;
        }

        ulong destination = IntNet.Mac.Read(headers);
        if (IntNet.Mac.IsMulticast(destination))
        {
            return SwitchDecision.Broadcast;
        }

        SwitchContext context = Contexts.Rent();
        try
        {
            Port[] ports = Ports;
            Span<PortView> views = context.Views(ports.Length);
            for (int i = 0; i < ports.Length; i++)
            {
                views[i] = ports[i].IsClosed ? default : ports[i].View;
            }

            TrunkConnection? trunk = Trunk;
            TrunkDirection ends = Switching.Decide(views, -1, sourceEnd, trunk?.View(Flags) ?? TrunkView.None, destination, context.Destinations);
            bool inside = context.Destinations.Count != 0;
            return (inside, ends != TrunkDirection.None) switch
            {
                (true, true) => SwitchDecision.Broadcast,
                (true, false) => SwitchDecision.IntNet,
                (false, true) => SwitchDecision.Trunk,
                _ => SwitchDecision.Drop,
            };
        }
        finally
        {
            context.Destinations.Clear();
            Contexts.Return(context);
        }
    }

    /// <summary>Validates a GSO entry (context and frame) where it lies: for memory nobody can change during the call.</summary>
    private static bool TryReadGso(ReadOnlySpan<byte> entry, out GsoContext gso)
    {
        gso = default;
        if (entry.Length <= GsoContextSize || entry.Length > SwitchContext.MaxGsoEntry)
        {
            return false;
        }

        gso = GsoContext.Read(entry);
        return gso.IsValid(entry[GsoContextSize..]);
    }

    /// <summary>
    /// Copies a GSO entry (context and frame) into the context's private buffer and validates the
    /// copy (GsoContext.IsValid with the frame's own headers); <paramref name="entry"/> then points at the copy.
    /// </summary>
    private static bool TryCopyGso(ref ReadOnlySpan<byte> entry, SwitchContext context, out GsoContext gso)
    {
        gso = default;
        if (entry.Length <= GsoContextSize || entry.Length > SwitchContext.MaxGsoEntry)
        {
            return false;
        }

        Span<byte> copy = context.GsoCopy.AsSpan(0, entry.Length);
        entry.CopyTo(copy);
        entry = copy;
        gso = GsoContext.Read(copy);
        return gso.IsValid(copy[GsoContextSize..]);
    }

    /// <summary>
    /// Cuts a validated GSO frame (in the context's private copy, or where a stable frame lies) into ordinary frames for a port
    /// that takes no GSO, one segment at a time in the context's segment buffer, each delivered as a
    /// FRAME. A segment that does not fit the port's receive ring is lost there and counted, as a frame.
    /// </summary>
    private static void DeliverSegments(Port port, GsoContext gso, ReadOnlySpan<byte> ethernet, SwitchContext context)
    {
        if (!GsoSegmenter.TryCreate(gso, ethernet, out GsoSegmenter segmenter))
        {
            // Validated already, from the same bytes: cannot happen; count it rather than trust it.
            port.Counters.CountLost();
            return;
        }

        Span<byte> segment = context.Segment;
        for (int i = 0; i < segmenter.SegmentCount; i++)
        {
            int length = segmenter.WriteSegment(i, segment);
            port.Deliver(segment[..length], FrameType.Frame, context.Touched);
        }
    }
}
