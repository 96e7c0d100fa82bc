using System.Security.Cryptography;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The object manager (SUPR0ObjRegister/AddRef/Release/VerifyAccess of the original). Objects are
/// reference counted per holder (usage records); the destructor runs exactly once, outside the
/// lock, after the object is unlinked. A holder never reaches an object it holds no reference to,
/// except by opening it by name, which passes <see cref="CheckAccess"/>.
/// </summary>
/// <remarks>
/// Handles are 64 bits: type id in bits 48-63, a generation counter in bits 32-47 and 32 random
/// bits below. A handle resolves only if it is exactly the one handed out, so a stale handle
/// (same slot, later generation), another type's handle or a guessed one fails the same way.
/// </remarks>
public sealed class ObjectManager
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, SupObject> _byHandle = [];
    private readonly Dictionary<(uint Type, string Name), SupObject> _byName = [];
    private readonly Dictionary<uint, ObjectType> _types = [];
    private readonly int _maxObjectsPerHolder;
    private ushort _generation;
    private uint _nextModuleType = (uint)ObjectTypeId.FirstModuleType;
    private long _created;
    private long _destroyed;

    /// <summary>Creates a manager with the built-in types.</summary>
    public ObjectManager(int maxObjectsPerHolder)
    {
        _maxObjectsPerHolder = maxObjectsPerHolder;
        AddType(new ObjectType((uint)ObjectTypeId.Vm, "vm", ClientCreatable: true));
        AddType(new ObjectType((uint)ObjectTypeId.InternalNetwork, "intnet", ClientCreatable: false));
        AddType(new ObjectType((uint)ObjectTypeId.InternalNetworkInterface, "intnet-if", ClientCreatable: false));
        AddType(new ObjectType((uint)ObjectTypeId.EventSemaphore, "event", ClientCreatable: false));
        AddType(new ObjectType((uint)ObjectTypeId.EventMultiSemaphore, "event-multi", ClientCreatable: false));
        AddType(new ObjectType((uint)ObjectTypeId.Memory, "memory", ClientCreatable: false));
    }

    /// <summary>Called when a destructor throws; the object is gone all the same.</summary>
    public Action<SupObject, Exception>? DestructorFailed { get; set; }

    /// <summary>Objects registered since start.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Destructors run since start.</summary>
    public long Destroyed => Interlocked.Read(ref _destroyed);

    /// <summary>Adds a type; fails with <see cref="SupStatus.AlreadyExists"/> when its id or name is taken.</summary>
    public SupStatus AddType(ObjectType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (_lock)
        {
            if (_types.ContainsKey(type.Id) || _types.Values.Any(t => string.Equals(t.Name, type.Name, StringComparison.Ordinal)))
            {
                return SupStatus.AlreadyExists;
            }

            _types.Add(type.Id, type);
            return SupStatus.Success;
        }
    }

    /// <summary>Removes a type no live object has; false when objects of it are alive or it is unknown.</summary>
    public bool RemoveType(uint id)
    {
        lock (_lock)
        {
            return !_byHandle.Values.Any(o => o.Type.Id == id) && _types.Remove(id);
        }
    }

    /// <summary>Whether a holder other than <paramref name="except"/> holds a reference to <paramref name="obj"/>.</summary>
    public bool IsHeldByOthers(SupObject obj, IObjectHolder except)
    {
        ArgumentNullException.ThrowIfNull(obj);
        lock (_lock)
        {
            return obj.Usages.Keys.Any(h => !ReferenceEquals(h, except));
        }
    }

    /// <summary>A type id no type has had since start, for module-defined types.</summary>
    public uint NextModuleTypeId()
    {
        lock (_lock)
        {
            // Type ids live in 16 bits of every handle.
            return _nextModuleType <= ushort.MaxValue
                ? _nextModuleType++
                : throw new InvalidOperationException($"all {ushort.MaxValue - (uint)ObjectTypeId.FirstModuleType + 1} module type ids are used");
        }
    }

    /// <summary>The type with id <paramref name="id"/>, or null.</summary>
    public ObjectType? FindType(uint id)
    {
        lock (_lock)
        {
            return _types.GetValueOrDefault(id);
        }
    }

    /// <summary>
    /// Registers an object with one reference held by <paramref name="holder"/>. Fails with
    /// <see cref="SupStatus.AlreadyExists"/> when a live object of the type has the name, and with
    /// <see cref="SupStatus.LimitReached"/> when the holder holds too many objects, and with
    /// <see cref="SupStatus.SessionEnded"/> when the holder has ended (nothing would release it).
    /// </summary>
    public SupStatus Register(IObjectHolder holder, ObjectType type, string? name, uint mode, bool isPublic, Action<SupObject>? destructor, object? payload, out SupObject? obj)
    {
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentNullException.ThrowIfNull(type);
        obj = null;
        lock (_lock)
        {
            // Checked under the lock ReleaseAll takes, and the flag is set before ReleaseAll runs:
            // an object registered here is either released by it or never registered.
            if (holder.HasEnded)
            {
                return SupStatus.SessionEnded;
            }

            if (!_types.TryGetValue(type.Id, out ObjectType? known) || known != type)
            {
                return SupStatus.InvalidObjectType;
            }

            if (holder.HeldObjects.Count >= _maxObjectsPerHolder)
            {
                return SupStatus.LimitReached;
            }

            if (name is not null && _byName.ContainsKey((type.Id, name)))
            {
                return SupStatus.AlreadyExists;
            }

            ulong handle;
            do
            {
                _generation++;
                handle = ((ulong)type.Id << 48) | ((ulong)_generation << 32) | (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
            }
            while (_byHandle.ContainsKey(handle));

            obj = new SupObject(handle, type, name, holder.UserId, holder.GroupIds.Count > 0 ? holder.GroupIds[0] : uint.MaxValue, mode & 0x1ff, isPublic, destructor, payload)
            {
                References = 1,
            };
            obj.Usages.Add(holder, 1);
            holder.HeldObjects.Add(obj);
            _byHandle.Add(handle, obj);
            if (name is not null)
            {
                _byName.Add((type.Id, name), obj);
            }

            _created++;
            return SupStatus.Success;
        }
    }

    /// <summary>The live object behind <paramref name="handle"/> if <paramref name="holder"/> holds a reference to it.</summary>
    public SupObject? Resolve(IObjectHolder holder, ulong handle)
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_lock)
        {
            return _byHandle.TryGetValue(handle, out SupObject? obj) && obj.Usages.ContainsKey(holder) ? obj : null;
        }
    }

    /// <summary>The live objects of one type, whoever holds them, for the daemon's own listings.</summary>
    internal List<SupObject> OfType(uint typeId)
    {
        lock (_lock)
        {
            return _byHandle.Values.Where(o => o.Type.Id == typeId).ToList();
        }
    }

    /// <summary>Adds a reference for <paramref name="holder"/>, which must hold one already.</summary>
    public SupStatus AddRef(IObjectHolder holder, ulong handle)
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_lock)
        {
            if (!_byHandle.TryGetValue(handle, out SupObject? obj) || !obj.Usages.TryGetValue(holder, out int count))
            {
                return SupStatus.InvalidHandle;
            }

            obj.Usages[holder] = count + 1;
            obj.References++;
            return SupStatus.Success;
        }
    }

    /// <summary>
    /// Adds a reference for <paramref name="holder"/>, which need not hold one yet (SUPR0ObjAddRefEx):
    /// no access check, the caller has decided. <see cref="SupStatus.InvalidHandle"/> for no live
    /// object, <see cref="SupStatus.LimitReached"/> past the holder's objects, <see cref="SupStatus.SessionEnded"/>.
    /// </summary>
    public SupStatus Share(IObjectHolder holder, ulong handle)
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_lock)
        {
            if (!_byHandle.TryGetValue(handle, out SupObject? obj))
            {
                return SupStatus.InvalidHandle;
            }

            if (holder.HasEnded)
            {
                return SupStatus.SessionEnded;
            }

            if (obj.Usages.TryGetValue(holder, out int count))
            {
                obj.Usages[holder] = count + 1;
            }
            else
            {
                if (holder.HeldObjects.Count >= _maxObjectsPerHolder)
                {
                    return SupStatus.LimitReached;
                }

                obj.Usages.Add(holder, 1);
                holder.HeldObjects.Add(obj);
            }

            obj.References++;
            return SupStatus.Success;
        }
    }

    /// <summary>
    /// Opens the live object of <paramref name="typeId"/> named <paramref name="name"/>, adding a
    /// reference for <paramref name="holder"/> if <see cref="CheckAccess"/> lets it in.
    /// </summary>
    public SupStatus Open(IObjectHolder holder, uint typeId, string name, out SupObject? obj)
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_lock)
        {
            if (!_byName.TryGetValue((typeId, name), out obj))
            {
                return SupStatus.NotFound;
            }

            if (!CheckAccess(obj, holder))
            {
                obj = null;
                return SupStatus.PermissionDenied;
            }

            if (holder.HasEnded)
            {
                obj = null;
                return SupStatus.SessionEnded;
            }

            if (obj.Usages.TryGetValue(holder, out int count))
            {
                obj.Usages[holder] = count + 1;
            }
            else
            {
                if (holder.HeldObjects.Count >= _maxObjectsPerHolder)
                {
                    obj = null;
                    return SupStatus.LimitReached;
                }

                obj.Usages.Add(holder, 1);
                holder.HeldObjects.Add(obj);
            }

            obj.References++;
            return SupStatus.Success;
        }
    }

    /// <summary>
    /// Drops one of <paramref name="holder"/>'s references. Returns <see cref="SupStatus.ObjectDestroyed"/>
    /// when it was the last one and the destructor ran.
    /// </summary>
    public SupStatus Release(IObjectHolder holder, ulong handle)
    {
        ArgumentNullException.ThrowIfNull(holder);
        SupObject? dead = null;
        lock (_lock)
        {
            if (!_byHandle.TryGetValue(handle, out SupObject? obj) || !obj.Usages.TryGetValue(holder, out int count))
            {
                return SupStatus.InvalidHandle;
            }

            if (count == 1)
            {
                obj.Usages.Remove(holder);
                holder.HeldObjects.Remove(obj);
            }
            else
            {
                obj.Usages[holder] = count - 1;
            }

            if (--obj.References == 0)
            {
                Unlink(obj);
                dead = obj;
            }
        }

        if (dead is null)
        {
            return SupStatus.Success;
        }

        RunDestructor(dead);
        return SupStatus.ObjectDestroyed;
    }

    /// <summary>
    /// Drops all of <paramref name="holder"/>'s references to one object, closing it for that
    /// holder (and destroying it when nobody else holds it): <see cref="SupStatus.Success"/>, or
    /// <see cref="SupStatus.InvalidHandle"/> when the holder held none.
    /// </summary>
    public SupStatus ReleaseEvery(IObjectHolder holder, ulong handle)
    {
        SupStatus status = Release(holder, handle);
        if (status != SupStatus.Success)
        {
            return status == SupStatus.ObjectDestroyed ? SupStatus.Success : status;
        }

        // Release until the holder has none left (the last one destroys it or finds it gone for this holder).
        while (status == SupStatus.Success)
        {
            status = Release(holder, handle);
        }

        return SupStatus.Success;
    }

    /// <summary>
    /// Drops every reference <paramref name="holder"/> holds (a session ending), running the
    /// destructors of the objects that had no other holder. Returns how many were destroyed.
    /// </summary>
    public int ReleaseAll(IObjectHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        List<SupObject> dead = [];
        lock (_lock)
        {
            foreach (SupObject obj in holder.HeldObjects)
            {
                if (obj.Usages.Remove(holder, out int count))
                {
                    obj.References -= count;
                    if (obj.References == 0)
                    {
                        Unlink(obj);
                        dead.Add(obj);
                    }
                }
            }

            holder.HeldObjects.Clear();
        }

        foreach (SupObject obj in dead)
        {
            RunDestructor(obj);
        }

        return dead.Count;
    }

    /// <summary>
    /// The one place access is decided: the owner's uid, or the owner's group when the mode has
    /// group bits, or anyone when the mode has other bits or the object is public.
    /// </summary>
    public static bool CheckAccess(SupObject obj, IObjectHolder holder)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(holder);
        if (obj.IsPublic || obj.OwnerUid == holder.UserId || (obj.Mode & 0x7) != 0)
        {
            return true;
        }

        return (obj.Mode & 0x38) != 0 && holder.GroupIds.Contains(obj.OwnerGid);
    }

    /// <summary>A consistent copy of every live object and its usages.</summary>
    /// <remarks>
    /// Under the lock only what can change is copied (each object's reference count and usage
    /// records, into arrays); sorting, formatting and the records are built after it is released,
    /// so a listing of many objects stalls other sessions' object calls for the copy alone. The
    /// rest of an object (handle, type, name, owner, mode) never changes after registration.
    /// </remarks>
    public List<ObjectInfo> Snapshot()
    {
        (SupObject Object, int References, ObjectUsageInfo[] Usages)[] copy;
        lock (_lock)
        {
            copy = new (SupObject, int, ObjectUsageInfo[])[_byHandle.Count];
            int i = 0;
            foreach (SupObject o in _byHandle.Values)
            {
                var usages = new ObjectUsageInfo[o.Usages.Count];
                int j = 0;
                foreach ((IObjectHolder holder, int count) in o.Usages)
                {
                    usages[j++] = new ObjectUsageInfo(holder.HolderId, count);
                }

                copy[i++] = (o, o.References, usages);
            }
        }

        // By type and generation (creation order within a type), then the whole handle, so the order is total.
        Array.Sort(copy, static (a, b) =>
        {
            int byCreation = (a.Object.Handle & 0xffff_ffff_0000_0000).CompareTo(b.Object.Handle & 0xffff_ffff_0000_0000);
            return byCreation != 0 ? byCreation : a.Object.Handle.CompareTo(b.Object.Handle);
        });
        var list = new List<ObjectInfo>(copy.Length);
        foreach ((SupObject o, int references, ObjectUsageInfo[] usages) in copy)
        {
            Array.Sort(usages, static (a, b) => a.SessionId.CompareTo(b.SessionId));
            list.Add(new ObjectInfo
            {
                Handle = $"0x{o.Handle:x16}",
                Type = o.Type.Name,
                TypeId = o.Type.Id,
                Name = o.Name,
                OwnerUid = o.OwnerUid,
                OwnerGid = o.OwnerGid,
                Mode = "0" + Convert.ToString(o.Mode, 8),
                Public = o.IsPublic,
                References = references,
                Usages = usages,
            });
        }

        return list;
    }

    /// <summary>Live objects per type name.</summary>
    public Dictionary<string, int> CountByType()
    {
        lock (_lock)
        {
            return _byHandle.Values.GroupBy(o => o.Type.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }
    }

    /// <summary>How many objects <paramref name="holder"/> holds references to.</summary>
    public int CountHeldBy(IObjectHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_lock)
        {
            return holder.HeldObjects.Count;
        }
    }

    /// <summary>Live objects.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byHandle.Count;
            }
        }
    }

    private void Unlink(SupObject obj)
    {
        obj.IsDead = true;
        _byHandle.Remove(obj.Handle);
        if (obj.Name is not null)
        {
            _byName.Remove((obj.Type.Id, obj.Name));
        }
    }

    private void RunDestructor(SupObject obj)
    {
        Action<SupObject>? destructor = obj.Destructor;
        obj.Destructor = null;
        try
        {
            destructor?.Invoke(obj);
        }
        catch (Exception ex)
        {
            // A throwing destructor must not stop the others of a dying session from running.
            DestructorFailed?.Invoke(obj, ex);
        }
        finally
        {
            Interlocked.Increment(ref _destroyed);
        }
    }
}
