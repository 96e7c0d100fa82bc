using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A way into a network (a client's interface now; a TAP, a QEMU socket, a VXLAN tunnel later): its
/// address, state, GSO capability and counters. The switch decides by these alone and never knows
/// the port's kind; a kind only says how a frame is handed over (<see cref="Deliver"/>).
/// </summary>
internal abstract class Port(uint id, Network network)
{
    private ulong _mac = IntNet.Mac.Dummy;
    private volatile bool _macSet;
    private volatile bool _active;
    private volatile bool _promiscuousRequested;
    private volatile bool _promiscuous;
    private volatile bool _closed;

    /// <summary>The port's id, unique in the module (1 and up; 0 and 0xffffffff name the trunk's ends in captures).</summary>
    public uint Id { get; } = id;

    public Network Network { get; } = network;

    /// <summary>"interface" (later "tap", "qemu-stream", "qemu-dgram", "vxlan").</summary>
    public abstract string Kind { get; }

    public ulong Mac => Volatile.Read(ref _mac);

    public bool MacSet => _macSet;

    public bool Active => _active;

    public bool PromiscuousRequested => _promiscuousRequested;

    /// <summary>Effective: requested, allowed by the interface's policy and by the network's.</summary>
    public bool Promiscuous => _promiscuous;

    /// <summary>Its policy: promiscuous, it sees unicast from the trunk too.</summary>
    public bool SeeTrunk { get; init; } = true;

    /// <summary>Whether it allows promiscuous mode (its own policy pair).</summary>
    public bool PromiscuousAllowed { get; init; } = true;

    /// <summary>Whether it takes GSO frames whole.</summary>
    public abstract bool Gso { get; }

    /// <summary>Whether it takes GSO frames of <paramref name="type"/> whole (the others the switch cuts for it).</summary>
    public virtual bool AcceptsGso(GsoType type) => Gso;

    public PortCounters Counters { get; } = new();

    public bool IsClosed => _closed;

    /// <summary>Copies a frame to the port; false when it could not take it (counted lost by the port).</summary>
    public abstract bool Deliver(ReadOnlySpan<byte> frame, FrameType type, List<SharedBuffer> touched);

    public PortView View => new(_active, Mac, _promiscuous, SeeTrunk);

    public void SetActive(bool active)
    {
        _active = active;
        Publish();
    }

    public void SetMac(ulong mac, bool set)
    {
        Volatile.Write(ref _mac, mac);
        _macSet |= set;
        Publish();
    }

    /// <summary>Learning (REFERENCE.md §8): while no MAC was set, a unicast source that differs replaces it.</summary>
    public void Learn(ulong source)
    {
        if (!_macSet && !IntNet.Mac.IsMulticast(source) && source != Volatile.Read(ref _mac))
        {
            Volatile.Write(ref _mac, source);
            Publish();
        }
    }

    public void SetPromiscuous(bool requested, bool networkAllows)
    {
        _promiscuousRequested = requested;
        _promiscuous = requested && PromiscuousAllowed && networkAllows;
        Publish();
    }

    /// <summary>Marks it closed: the switch delivers nothing more to it.</summary>
    public void MarkClosed() => _closed = true;

    /// <summary>Shows the state to the port's peer (an interface: words 152 and 160 of its buffer).</summary>
    protected virtual void Publish()
    {
    }
}
