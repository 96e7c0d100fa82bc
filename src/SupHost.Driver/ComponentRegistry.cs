using SupHost.Abi;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The component factory registry (SUPR0ComponentRegisterFactory/QueryFactory of the original).
/// Entries keep registration order; a query tries the factories of that name in order and the
/// first that answers wins. Each entry has an owner, and an owner's entries go when it does.
/// </summary>
public sealed class ComponentRegistry
{
    private readonly Lock _lock = new();
    private readonly List<FactoryRegistration> _entries = [];
    private ulong _nextId;

    /// <summary>
    /// Registers <paramref name="factory"/> for <paramref name="owner"/>. The same instance twice
    /// gives <see cref="SupStatus.AlreadyExists"/>; distinct factories may share a name. An owner
    /// whose session or module has ended gets <see cref="SupStatus.SessionEnded"/>.
    /// </summary>
    public SupStatus Register(IComponentFactory factory, FactoryOwner owner, out FactoryRegistration? registration)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(owner);
        registration = null;
        if (NameField.Check(factory.Name) is not null)
        {
            return SupStatus.InvalidName;
        }

        lock (_lock)
        {
            // Under the lock RemoveOwnedBy takes, so a registration racing the owner's end is
            // either removed with the rest or refused.
            if (owner.Holder?.HasEnded == true)
            {
                return SupStatus.SessionEnded;
            }

            if (_entries.Any(e => ReferenceEquals(e.Factory, factory)))
            {
                return SupStatus.AlreadyExists;
            }

            registration = new FactoryRegistration(++_nextId, factory, owner);
            _entries.Add(registration);
            return SupStatus.Success;
        }
    }

    /// <summary>Removes the entry <paramref name="id"/> if <paramref name="owner"/> owns it; otherwise <see cref="SupStatus.InvalidHandle"/>.</summary>
    public SupStatus Deregister(ulong id, FactoryOwner owner)
    {
        lock (_lock)
        {
            int index = _entries.FindIndex(e => e.Id == id && e.Owner == owner);
            if (index < 0)
            {
                return SupStatus.InvalidHandle;
            }

            _entries.RemoveAt(index);
            return SupStatus.Success;
        }
    }

    /// <summary>Removes every entry of <paramref name="owner"/>; returns how many.</summary>
    public int RemoveOwnedBy(FactoryOwner owner)
    {
        lock (_lock)
        {
            return _entries.RemoveAll(e => e.Owner == owner);
        }
    }

    /// <summary>
    /// Finds the first factory named <paramref name="name"/> that answers <paramref name="interfaceId"/>:
    /// <see cref="SupStatus.ComponentNotFound"/> when none has the name,
    /// <see cref="SupStatus.InterfaceNotSupported"/> when some have it but none answers.
    /// </summary>
    public SupStatus Query(string name, Guid interfaceId, out FactoryRegistration? registration, out object? implementation) =>
        Query(name, interfaceId, modulesOnly: false, out registration, out implementation);

    /// <summary>
    /// As <see cref="Query(string, Guid, out FactoryRegistration?, out object?)"/>; with
    /// <paramref name="modulesOnly"/> only factories registered by modules are candidates. That is
    /// what a module's query gets unless it asks otherwise: in the original only kernel code can
    /// register a factory (SUPR0ComponentRegisterFactory), so a trunk IntNet finds is never a
    /// client's, and here a client factory registered first must not shadow a module's.
    /// </summary>
    public SupStatus Query(string name, Guid interfaceId, bool modulesOnly, out FactoryRegistration? registration, out object? implementation)
    {
        List<FactoryRegistration> candidates;
        lock (_lock)
        {
            candidates = _entries.Where(e => string.Equals(e.Factory.Name, name, StringComparison.Ordinal) && (!modulesOnly || e.Owner.IsModule)).ToList();
        }

        // Ask outside the lock: a factory's answer is its own code and may take its own locks.
        foreach (FactoryRegistration candidate in candidates)
        {
            object? answer = candidate.Factory.QueryInterface(interfaceId);
            if (answer is not null)
            {
                registration = candidate;
                implementation = answer;
                return SupStatus.Success;
            }
        }

        registration = null;
        implementation = null;
        return candidates.Count == 0 ? SupStatus.ComponentNotFound : SupStatus.InterfaceNotSupported;
    }

    /// <summary>Registered factories.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Factories owned by <paramref name="owner"/>.</summary>
    public int CountOwnedBy(FactoryOwner owner)
    {
        lock (_lock)
        {
            return _entries.Count(e => e.Owner == owner);
        }
    }

    /// <summary>A copy of every entry, in registration order.</summary>
    public List<FactoryInfo> Snapshot()
    {
        lock (_lock)
        {
            return _entries.Select(e => new FactoryInfo
            {
                Id = e.Id,
                Name = e.Factory.Name,
                Interfaces = e.Factory is ClientFactory client ? client.Interfaces.Select(g => g.ToString("D")).ToList() : [],
                Owner = e.Owner.Description,
                OwnerSessionId = e.Owner.SessionId,
            }).ToList();
        }
    }
}
