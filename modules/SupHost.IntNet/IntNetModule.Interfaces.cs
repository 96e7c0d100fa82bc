using SupHost.Abi;
using SupHost.IntNet.Format;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet;

/// <summary>The interface entry points: Open, Close, SetActive, SetMac, SetPromiscuous, Send, AbortWait.</summary>
public sealed partial class IntNetModule
{
    private const int OpenReplySize = IntNetOpenReply.Size;

    /// <summary>
    /// Opens an interface on a network, creating the network when it does not exist. Input: an
    /// OpenRequest (216 bytes); output: an OpenReply (40 bytes); reply descriptors: the buffer's
    /// memfd, the receive doorbell, the send doorbell.
    /// </summary>
    [SupEntryPoint]
    public int Open(ref ModuleCall call)
    {
        // Validate the request.
        if (call.Output.Length < OpenReplySize)
        {
            return call.Fail(-2, $"the output buffer is {call.Output.Length} bytes; an OpenReply is {OpenReplySize}");
        }

        if (call.DescriptorSet is null)
        {
            return call.Fail(-2, "this call cannot carry the buffer's descriptors in its reply");
        }

        if (OpenRequest.TryParse(call.Input, create: false, MaxRingSize, out OpenRequest? request) is (int status, string message))
        {
            return call.Fail(status, message);
        }

        List<TrunkConnection> disconnect = [];
        try
        {
            lock (_lock)
            {
                // Join the network, or create it.
                bool created = !_networks.TryGetValue(request!.Network, out Network? network);
                if (created)
                {
                    if (CreateNetwork(call.Session, request, persistent: false, out network) is (int refused, string why))
                    {
                        return call.Fail(refused, why);
                    }
                }
                else if (CheckJoin(call.Session, network!, request) is (int refused, string why))
                {
                    return call.Fail(refused, why);
                }

                // Make the interface: buffer, doorbells, object.
                if (MakeInterface(call.Session, network!, request, out InterfacePort? port, out ModuleDescriptor?[] descriptors) is (int failed, string failure))
                {
                    if (created)
                    {
                        Unlink(network!, disconnect);
                    }

                    return call.Fail(failed, failure);
                }

                if (!created)
                {
                    OpenFlags minimum = network!.Minimum;
                    network.Flags = Policy.Adapt(network.Flags, request.Flags, ref minimum);
                    network.Minimum = minimum;
                    foreach (Port other in network.Ports)
                    {
                        other.SetPromiscuous(other.PromiscuousRequested, network.PromiscuousClientsAllowed);
                    }
                }

                SwitchWorker worker;
                try
                {
                    worker = PickWorker();
                }
                catch (InvalidOperationException ex)
                {
                    port!.Dispose();
                    if (created)
                    {
                        Unlink(network!, disconnect);
                    }

                    return call.Fail(-20, $"starting the switch workers: {ex.Message}");
                }

                network!.Add(port!);
                port!.Worker = worker;
                worker.Add(port);
                foreach (ModuleDescriptor? descriptor in descriptors)
                {
                    call.Reply(descriptor!);
                }

                new IntNetOpenReply(port.ObjectHandle, created, (uint)port.Buffer.Layout.Size, port.AllocationHandle, port.ReceiveEvent, port.SendEvent).Write(call.Output);
                call.OutputLength = OpenReplySize;
                return 0;
            }
        }
        finally
        {
            foreach (TrunkConnection trunk in disconnect)
            {
                trunk.DisconnectFromSwitch();
            }
        }
    }

    /// <summary>Closes the interface the argument names (its object in the caller's session).</summary>
    [SupEntryPoint]
    public int Close(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        CloseInterface(port!);
        _ = Host.Objects.Release(call.Session, port!.ObjectHandle);

        // The buffer and the doorbells were made for the interface: they go with it (the client's
        // mapping and descriptors stay valid until it drops them).
        _ = Host.Memory.Free(call.Session, port.AllocationHandle);
        _ = Host.Events.Close(call.Session, port.ReceiveEvent);
        _ = Host.Events.Close(call.Session, port.SendEvent);
        return 0;
    }

    /// <summary>Operation 1 makes the interface active (it receives), 0 inactive.</summary>
    [SupEntryPoint]
    public int SetActive(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        if (call.Operation > 1)
        {
            return call.Fail(-2, $"operation {call.Operation}: 0 makes the interface inactive, 1 active");
        }

        TrunkConnection? trunk;
        lock (_lock)
        {
            if (port!.IsClosed)
            {
                return call.Fail(-21, "the interface was closed (its network was deleted)");
            }

            port.SetActive(call.Operation == 1);
            trunk = port.Network.Trunk;
        }

        trunk?.Refresh();
        return 0;
    }

    /// <summary>Sets the interface's MAC (input: 6 bytes); it is not learned afterwards, and the trunk is told.</summary>
    [SupEntryPoint]
    public int SetMac(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        if (call.Input.Length != 6)
        {
            return call.Fail(-2, $"the MAC is {call.Input.Length} bytes; 6 are expected");
        }

        ulong mac = Mac.Read(call.Input);
        TrunkConnection? trunk;
        lock (_lock)
        {
            if (port!.IsClosed)
            {
                return call.Fail(-21, "the interface was closed (its network was deleted)");
            }

            port.SetMac(mac, set: true);
            trunk = port.Network.Trunk;
        }

        trunk?.NotifyMacAddress(call.Input);
        return 0;
    }

    /// <summary>Operation 1 asks for promiscuous mode, 0 leaves it; effective only as the interface's and the network's policy allow.</summary>
    [SupEntryPoint]
    public int SetPromiscuous(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        if (call.Operation > 1)
        {
            return call.Fail(-2, $"operation {call.Operation}: 0 leaves promiscuous mode, 1 asks for it");
        }

        lock (_lock)
        {
            if (port!.IsClosed)
            {
                return call.Fail(-21, "the interface was closed (its network was deleted)");
            }

            port.SetPromiscuous(call.Operation == 1, port.Network.PromiscuousClientsAllowed);
        }

        return 0;
    }

    /// <summary>A kick: drains the interface's send ring now, on the caller's thread (the send doorbell does the same without a call).</summary>
    [SupEntryPoint]
    public int Send(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        SwitchContext context = _contexts.Rent();
        try
        {
            for (int passes = 0; passes < 4 && port!.Drain(context); passes++)
            {
                context.Flush();
            }
        }
        finally
        {
            _contexts.Return(context);
        }

        return port!.IsClosed ? call.Fail(-21, "the interface was closed") : 0;
    }

    /// <summary>Wakes the client's waiter on the receive doorbell; operation 1: and no wait succeeds afterwards (word 144 bit 2).</summary>
    [SupEntryPoint]
    public int AbortWait(ref ModuleCall call)
    {
        if (Find(ref call, out InterfacePort? port) is int refused)
        {
            return refused;
        }

        if (call.Operation > 1)
        {
            return call.Fail(-2, $"operation {call.Operation}: 0 wakes the waiter, 1 ends waiting for good");
        }

        lock (port!.Buffer.DeliverLock)
        {
            if (call.Operation == 1 && !port.Buffer.IsClosed)
            {
                port.Buffer.SetFlags(SharedBuffer.WaitsAborted, on: true);
            }
        }

        port.Buffer.Wake();
        return 0;
    }

    /// <summary>The caller's interface named by the argument; another session's handle, or none, is -14.</summary>
    private int? Find(ref ModuleCall call, out InterfacePort? port)
    {
        port = Host.Objects.GetPayload(call.Session, call.Argument) as InterfacePort;
        if (port is null)
        {
            return call.Fail(-14, $"handle 0x{call.Argument:x16} is not an interface of session {call.Session.Id}");
        }

        return null;
    }

    /// <summary>Why <paramref name="session"/> may not join <paramref name="network"/> as <paramref name="request"/> asks, or null (the original's order).</summary>
    private (int, string)? CheckJoin(ISessionIdentity session, Network network, OpenRequest request)
    {
        if (request.Trunk is not (TrunkType.WhateverNone or TrunkType.SrvNat)
            && (request.Trunk != network.TrunkType || !string.Equals(request.TrunkName, network.TrunkName, StringComparison.Ordinal)))
        {
            return (-58, $"network '{network.Name}' has trunk {Describe(network.TrunkType, network.TrunkName)}; the open asks for {Describe(request.Trunk, request.TrunkName)}");
        }

        if (Policy.CheckJoin(network.Flags, request.Flags) is string incompatible)
        {
            return (-59, $"network '{network.Name}': {incompatible}");
        }

        if ((network.Flags & OpenFlags.AccessRestricted) != OpenFlags.None && !Host.Objects.VerifyAccess(session, network.ObjectHandle))
        {
            return (-10, $"network '{network.Name}' is restricted to its owner (uid {network.OwnerUid}) and its group; uid {session.UserId} may not join");
        }

        if (network.Ports.Length >= MaxPortsPerNetwork)
        {
            return (-20, $"network '{network.Name}' has {network.Ports.Length} ports, the limit");
        }

        return null;
    }

    private static string Describe(TrunkType type, string name) => name.Length == 0 ? type.ToString() : $"{type} '{name}'";

    /// <summary>Makes the interface's buffer and doorbells for the session and registers its object; on failure undoes what it made.</summary>
    private (int, string)? MakeInterface(ISessionIdentity session, Network network, OpenRequest request, out InterfacePort? port, out ModuleDescriptor?[] descriptors)
    {
        port = null;
        descriptors = [];
        IModuleHost host = Host;
        BufferLayout layout = IntNetBuffer.Layout(request.ReceiveSize, request.SendSize);
        int pages = (layout.Size + PageSize - 1) / PageSize;
        var made = new List<IDisposable>();
        try
        {
            int status = host.Memory.Allocate(session, pages, out ulong allocation, out ModuleDescriptor? memfd);
            if (status != 0)
            {
                return (status, $"allocating the {pages}-page buffer for session {session.Id}: status {status}");
            }

            made.Add(memfd!);
            made.Add(new Undo(() => host.Memory.Free(session, allocation)));
            status = host.Memory.Lease(session, allocation, 0, pages * PageSize, writable: true, out IModuleMemoryLease? lease);
            if (status != 0)
            {
                return (status, $"leasing the buffer: status {status}");
            }

            made.Add(lease!);
            status = host.Events.Create(session, multi: false, out ulong receiveEvent, out ModuleDescriptor? receiveFd);
            if (status != 0)
            {
                return (status, $"creating the receive doorbell for session {session.Id}: status {status}");
            }

            made.Add(receiveFd!);
            made.Add(new Undo(() => host.Events.Close(session, receiveEvent)));
            status = host.Events.Create(session, multi: false, out ulong sendEvent, out ModuleDescriptor? sendFd);
            if (status != 0)
            {
                return (status, $"creating the send doorbell for session {session.Id}: status {status}");
            }

            made.Add(sendFd!);
            made.Add(new Undo(() => host.Events.Close(session, sendEvent)));
            status = host.Io.OpenEvent(session, receiveEvent, out IModuleIoHandle? receiveDoorbell);
            if (status != 0)
            {
                return (status, $"watching the receive doorbell: status {status} ({host.Io.LastError})");
            }

            made.Add(receiveDoorbell!);
            status = host.Io.OpenEvent(session, sendEvent, out IModuleIoHandle? sendDoorbell);
            if (status != 0)
            {
                return (status, $"watching the send doorbell: status {status} ({host.Io.LastError})");
            }

            made.Add(sendDoorbell!);
            var buffer = new SharedBuffer(lease!, layout, receiveDoorbell);
            var created = new InterfacePort(NextPortId(), network, session, buffer, sendDoorbell, Policy.ForInterface(request.Flags))
            {
                AllocationHandle = allocation,
                TakesGso = !request.NoGso,
                ReceiveEvent = receiveEvent,
                SendEvent = sendEvent,
            };
            made.Clear();
            made.AddRange([
                memfd!,
                new Undo(() => host.Memory.Free(session, allocation)),
                receiveFd!,
                new Undo(() => host.Events.Close(session, receiveEvent)),
                sendFd!,
                new Undo(() => host.Events.Close(session, sendEvent)),
                new Undo(created.Shutdown),
            ]);
            try
            {
                created.ObjectHandle = host.Objects.Register(session, _interfaceType, null, 0x180, isPublic: false, InterfaceDestroyed, created);
            }
            catch (InvalidOperationException ex)
            {
                return (ex.Message.Contains("SessionEnded", StringComparison.Ordinal) ? -48 : -20, ex.Message);
            }

            made.Clear();
            port = created;
            descriptors = [memfd, receiveFd, sendFd];
            return null;
        }
        finally
        {
            for (int i = made.Count - 1; i >= 0; i--)
            {
                made[i].Dispose();
            }
        }
    }

    /// <summary>The interface object's destructor: its session closed it or ended.</summary>
    private void InterfaceDestroyed(object? payload)
    {
        if (payload is InterfacePort port)
        {
            CloseInterface(port);
        }
    }

    /// <summary>Takes the interface out of its network and ends its data path; the network goes with its last port unless persistent. Idempotent.</summary>
    private void CloseInterface(InterfacePort port)
    {
        List<TrunkConnection> disconnect = [];
        TrunkConnection? trunk = null;
        bool removed;
        lock (_lock)
        {
            Network network = port.Network;
            removed = network.Remove(port);
            port.MarkClosed();
            if (removed)
            {
                trunk = network.Trunk;
                if (network.Ports.Length == 0 && !network.Persistent && !network.Destroyed)
                {
                    Unlink(network, disconnect);
                    trunk = null;
                }
            }
        }

        port.Worker?.Remove(port);
        port.Shutdown();
        trunk?.Refresh();
        foreach (TrunkConnection gone in disconnect)
        {
            gone.DisconnectFromSwitch();
        }
    }

    /// <summary>Runs an action once when disposed.</summary>
    private sealed class Undo(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
