namespace SupHost.Abi;

/// <summary>The object manager as modules see it (SUPR0ObjRegister/AddRef/Release/VerifyAccess).</summary>
public interface IModuleObjects
{
    /// <summary>
    /// Defines an object type of the module's own; returns its id (from 0x1000). Fails with
    /// <see cref="InvalidOperationException"/> when the name is taken by another type.
    /// </summary>
    uint RegisterType(string name, bool clientCreatable);

    /// <summary>
    /// Registers an object of <paramref name="typeId"/> with one reference held by
    /// <paramref name="owner"/> (a calling session, or <see cref="IModuleHost.Identity"/>). The
    /// destructor runs once, when the last reference goes; the module stays loaded until then.
    /// </summary>
    /// <returns>The object's handle, which clients may use with the object requests.</returns>
    ulong Register(ISessionIdentity owner, uint typeId, string? name, uint mode, bool isPublic, Action<object?>? destructor, object? payload);

    /// <summary>Adds a reference for <paramref name="holder"/>, which must hold one already; returns a status.</summary>
    int AddReference(ISessionIdentity holder, ulong handle);

    /// <summary>
    /// Adds a reference for <paramref name="holder"/> whether or not it holds one already (Abi 1.1;
    /// the original's SUPR0ObjAddRefEx): no access check, the module decides who may (usually with
    /// <see cref="VerifyAccess"/> first). A module keeps an object that a session registered alive
    /// past that session by sharing it with <see cref="IModuleHost.Identity"/>. 0; -14
    /// (InvalidHandle) when no live object has that handle; -20 (LimitReached) when the holder holds
    /// too many objects; -48 (SessionEnded) when the holder has ended.
    /// </summary>
    int Share(ISessionIdentity holder, ulong handle);

    /// <summary>Drops one of <paramref name="holder"/>'s references; returns a status (1 when the object was destroyed).</summary>
    int Release(ISessionIdentity holder, ulong handle);

    /// <summary>The payload of an object <paramref name="holder"/> holds, or null.</summary>
    object? GetPayload(ISessionIdentity holder, ulong handle);

    /// <summary>Whether <paramref name="session"/> may open the object, by its owner, group, mode and public flag.</summary>
    bool VerifyAccess(ISessionIdentity session, ulong handle);
}
