namespace SupHost.Abi;

/// <summary>
/// The descriptors of one module call (Abi 1.1): those the request carried, in the order the
/// client sent them, and those the module puts in the reply, in the order it put them. The daemon
/// makes one for each call that may carry descriptors (ModuleCall and ModuleCallService); a test
/// host may make its own.
/// </summary>
public sealed class ModuleCallDescriptors
{
    /// <summary>The most descriptors a request or a reply carries (docs/protocol.md).</summary>
    public const int MaxPerCall = 16;

    private readonly List<ModuleDescriptor> _reply = [];

    /// <summary>Creates the descriptors of a call that received <paramref name="received"/> (owned by the call from now on).</summary>
    public ModuleCallDescriptors(IReadOnlyList<ModuleDescriptor> received)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (received.Count > MaxPerCall)
        {
            throw new ArgumentException($"{received.Count} descriptors exceed the limit {MaxPerCall}", nameof(received));
        }

        Received = received;
    }

    /// <summary>What the request carried; each one the module does not <see cref="ModuleDescriptor.Take"/> is closed after the call.</summary>
    public IReadOnlyList<ModuleDescriptor> Received { get; }

    /// <summary>What the reply carries so far, in order.</summary>
    public IReadOnlyList<ModuleDescriptor> Reply => _reply;

    /// <summary>
    /// Moves <paramref name="descriptor"/> to the reply (it owns nothing afterwards). A reply
    /// carries at most <see cref="MaxPerCall"/> descriptors (<see cref="InvalidOperationException"/>
    /// past that); it is sent only with a successful status, and closed otherwise.
    /// </summary>
    public void Add(ModuleDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (_reply)
        {
            if (_reply.Count >= MaxPerCall)
            {
                throw new InvalidOperationException($"a reply carries at most {MaxPerCall} descriptors; this is the {_reply.Count + 1}th");
            }

            _reply.Add(descriptor.Take());
        }
    }

    /// <summary>Closes every descriptor still owned here, received or replied; returns how many received ones nobody took.</summary>
    public int CloseAll()
    {
        int unclaimed = 0;
        foreach (ModuleDescriptor descriptor in Received)
        {
            if (descriptor.IsOwned)
            {
                unclaimed++;
                descriptor.Dispose();
            }
        }

        lock (_reply)
        {
            foreach (ModuleDescriptor descriptor in _reply)
            {
                descriptor.Dispose();
            }

            _reply.Clear();
        }

        return unclaimed;
    }

    /// <summary>Closes the received descriptors nobody took and returns how many; the reply's stay.</summary>
    public int CloseUnclaimed()
    {
        int unclaimed = 0;
        foreach (ModuleDescriptor descriptor in Received)
        {
            if (descriptor.IsOwned)
            {
                unclaimed++;
                descriptor.Dispose();
            }
        }

        return unclaimed;
    }
}
