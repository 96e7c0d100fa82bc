using System.Runtime.InteropServices;

namespace SupHost.Abi;

/// <summary>
/// A file descriptor in a module call, with exactly one owner at every moment (Abi 1.1). A
/// descriptor a client sent with a call (<see cref="ModuleCall.Descriptors"/>) belongs to the call
/// until the module calls <see cref="Take"/>: what it takes is the module's to keep and dispose;
/// what it leaves the daemon closes when the call returns, and counts. A descriptor the module
/// hands out with <see cref="ModuleCall.Reply"/> moves to the reply, which the daemon sends and
/// then closes, sent or not. Only descriptors the daemon made (received with a call, or made by
/// the host's services, such as <see cref="IModuleMemory.Allocate"/>) can be handed out.
/// </summary>
/// <remarks>
/// While the daemon holds a descriptor for a session it counts against that session's descriptor
/// budget; <see cref="Dispose"/> (whoever calls it) gives the count back.
/// </remarks>
public sealed class ModuleDescriptor : IDisposable
{
    private SafeHandle? _handle;
    private Action? _closed;

    /// <summary>Wraps <paramref name="handle"/>, which the new instance owns; <paramref name="closed"/> runs once when it is closed.</summary>
    public ModuleDescriptor(SafeHandle handle, Action? closed = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _handle = handle;
        _closed = closed;
    }

    /// <summary>Whether this instance still owns its descriptor (it was neither taken nor closed).</summary>
    public bool IsOwned => Volatile.Read(ref _handle) is not null;

    /// <summary>
    /// The descriptor, for the host's I/O services; <see cref="ObjectDisposedException"/> once it
    /// was taken or closed. Disposing it directly closes the descriptor without giving back its
    /// count: dispose the <see cref="ModuleDescriptor"/> instead.
    /// </summary>
    public SafeHandle Handle => Volatile.Read(ref _handle) ?? throw new ObjectDisposedException(nameof(ModuleDescriptor), "the descriptor was taken or closed");

    /// <summary>
    /// Moves the descriptor to a new instance, the caller's to own; this one owns nothing after.
    /// <see cref="InvalidOperationException"/> when it was taken or closed already (two takers).
    /// </summary>
    public ModuleDescriptor Take()
    {
        SafeHandle handle = Interlocked.Exchange(ref _handle, null)
            ?? throw new InvalidOperationException("the descriptor was taken or closed already; a descriptor has one owner");
        return new ModuleDescriptor(handle, Interlocked.Exchange(ref _closed, null));
    }

    /// <summary>Closes the descriptor if this instance still owns it. Idempotent.</summary>
    public void Dispose()
    {
        SafeHandle? handle = Interlocked.Exchange(ref _handle, null);
        if (handle is null)
        {
            return;
        }

        handle.Dispose();
        Interlocked.Exchange(ref _closed, null)?.Invoke();
    }
}
