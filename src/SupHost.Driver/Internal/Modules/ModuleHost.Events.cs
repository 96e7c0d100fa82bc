using SupHost.Abi;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules;

/// <summary>The module's events (<see cref="IModuleEvents"/>), and the cancellation of the call a wait runs in.</summary>
internal sealed partial class ModuleHost
{
    /// <summary>The cancellation of the module call running on this thread (none outside a call).</summary>
    [ThreadStatic]
    private static CancellationToken t_callCancellation;

    /// <summary>
    /// Makes <paramref name="cancellation"/> the token of the module call about to run on this
    /// thread, until the returned scope is disposed: an <see cref="IModuleEvents.Wait"/> the call
    /// makes on this thread then ends with WaitCancelled once the token is cancelled. Scopes nest.
    /// </summary>
    public static CallCancellationScope EnterCall(CancellationToken cancellation)
    {
        CancellationToken previous = t_callCancellation;
        t_callCancellation = cancellation;
        return new CallCancellationScope(previous);
    }

    int IModuleEvents.Signal(ISessionIdentity holder, ulong handle) => (int)_events.Signal(Holder(holder), handle, out _);

    int IModuleEvents.Reset(ISessionIdentity holder, ulong handle) => (int)_events.Reset(Holder(holder), handle, out _);

    int IModuleEvents.Wait(ISessionIdentity holder, ulong handle, int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        return (int)_events.Wait(Holder(holder), handle, timeoutMilliseconds, t_callCancellation, out _);
    }

    int IModuleEvents.Create(ISessionIdentity session, bool multi, out ulong handle, out ModuleDescriptor? descriptor)
    {
        handle = 0;
        descriptor = null;
        Session client = ClientSession(session);
        SupStatus status = _events.Create(client, multi ? Protocol.EventKind.Multi : Protocol.EventKind.AutoReset, out SupObject? obj, out string? message);
        if (status != SupStatus.Success)
        {
            ModuleLog.MadeForSessionFailed(_logger, _module.Name, "event", client.Id, (int)status, message);
            return (int)status;
        }

        return HandOut(client, obj!, EventManager.Payload(obj!)!.Fd, "event", out handle, out descriptor);
    }

    int IModuleEvents.Close(ISessionIdentity session, ulong handle) => (int)_events.Close(ClientSession(session), handle, out _);

    /// <summary>Restores the previous call's cancellation when disposed.</summary>
    public readonly ref struct CallCancellationScope(CancellationToken previous)
    {
        public void Dispose() => t_callCancellation = previous;
    }
}
