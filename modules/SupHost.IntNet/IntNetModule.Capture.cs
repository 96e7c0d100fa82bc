using System.Buffers.Binary;
using SupHost.Abi;
using SupHost.IntNet.Format;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet;

/// <summary>Capture: CaptureStart and CaptureStop.</summary>
public sealed partial class IntNetModule
{
    private const int CaptureReplySize = 16;

    /// <summary>
    /// Starts capturing a network (input: its name; operation: the snap length, 0 for 65535). Output:
    /// u64 capture handle, u32 buffer bytes, u32 reserved; reply descriptors: the capture buffer's
    /// memfd and its doorbell. The caller needs access to the network.
    /// </summary>
    [SupEntryPoint]
    public int CaptureStart(ref ModuleCall call)
    {
        string? invalid = call.Output.Length < CaptureReplySize ? $"the output buffer is {call.Output.Length} bytes; a CaptureReply is {CaptureReplySize}"
            : call.DescriptorSet is null ? "this call cannot carry the capture's descriptors in its reply"
            : call.Operation > 65535 ? $"snap length {call.Operation} exceeds 65535"
            : null;
        if (invalid is not null)
        {
            return call.Fail(-2, invalid);
        }

        int snap = call.Operation == 0 ? 65535 : (int)call.Operation;
        if (NameOf(ref call, out string? name) is int bad)
        {
            return bad;
        }

        IModuleHost host = Host;
        lock (_lock)
        {
            if (!_networks.TryGetValue(name!, out Network? network))
            {
                return call.Fail(-15, $"no network is named '{name}'");
            }

            if (!host.Objects.VerifyAccess(call.Session, network.ObjectHandle))
            {
                return call.Fail(-10, $"network '{name}' is restricted to uid {network.OwnerUid} and its group; uid {call.Session.UserId} may not capture it");
            }

            BufferLayout layout = IntNetBuffer.Layout(CaptureReceiveSize, CaptureSendSize);
            int pages = (layout.Size + PageSize - 1) / PageSize;
            var made = new List<IDisposable>();
            try
            {
                int status = host.Memory.Allocate(call.Session, pages, out ulong allocation, out ModuleDescriptor? memfd);
                if (status != 0)
                {
                    return call.Fail(status, $"allocating the {pages}-page capture buffer: status {status}");
                }

                made.Add(memfd!);
                ISessionIdentity session = call.Session;
                made.Add(new Undo(() => host.Memory.Free(session, allocation)));
                status = host.Memory.Lease(call.Session, allocation, 0, pages * PageSize, writable: true, out IModuleMemoryLease? lease);
                if (status != 0)
                {
                    return call.Fail(status, $"leasing the capture buffer: status {status}");
                }

                made.Add(lease!);
                status = host.Events.Create(call.Session, multi: false, out ulong eventHandle, out ModuleDescriptor? eventFd);
                if (status != 0)
                {
                    return call.Fail(status, $"creating the capture's doorbell: status {status}");
                }

                made.Add(eventFd!);
                made.Add(new Undo(() => host.Events.Close(session, eventHandle)));
                status = host.Io.OpenEvent(call.Session, eventHandle, out IModuleIoHandle? doorbell);
                if (status != 0)
                {
                    return call.Fail(status, $"watching the capture's doorbell: status {status} ({host.Io.LastError})");
                }

                made.Add(doorbell!);
                var buffer = new SharedBuffer(lease!, layout, doorbell);
                var capture = new Capture(call.Session, network, buffer, snap) { AllocationHandle = allocation, EventHandle = eventHandle };
                made.Clear();
                made.AddRange([memfd!, new Undo(() => host.Memory.Free(session, allocation)), eventFd!, new Undo(() => host.Events.Close(session, eventHandle))]);
                try
                {
                    capture.ObjectHandle = host.Objects.Register(call.Session, _captureType, null, 0x180, isPublic: false, CaptureDestroyed, capture);
                }
                catch (InvalidOperationException ex)
                {
                    buffer.Close();
                    return call.Fail(ex.Message.Contains("SessionEnded", StringComparison.Ordinal) ? -48 : -20, ex.Message);
                }

                made.Clear();
                network.Add(capture);
                call.Reply(memfd!);
                call.Reply(eventFd!);
                BinaryPrimitives.WriteUInt64LittleEndian(call.Output, capture.ObjectHandle);
                BinaryPrimitives.WriteUInt32LittleEndian(call.Output[8..], (uint)layout.Size);
                BinaryPrimitives.WriteUInt32LittleEndian(call.Output[12..], 0);
                call.OutputLength = CaptureReplySize;
                return 0;
            }
            finally
            {
                for (int i = made.Count - 1; i >= 0; i--)
                {
                    made[i].Dispose();
                }
            }
        }
    }

    /// <summary>Ends a capture (argument: its handle in the caller's session).</summary>
    [SupEntryPoint]
    public int CaptureStop(ref ModuleCall call)
    {
        if (Host.Objects.GetPayload(call.Session, call.Argument) is not Capture capture)
        {
            return call.Fail(-14, $"handle 0x{call.Argument:x16} is not a capture of session {call.Session.Id}");
        }

        EndCapture(capture);
        _ = Host.Objects.Release(call.Session, capture.ObjectHandle);
        _ = Host.Memory.Free(call.Session, capture.AllocationHandle);
        _ = Host.Events.Close(call.Session, capture.EventHandle);
        return 0;
    }

    private void CaptureDestroyed(object? payload)
    {
        if (payload is Capture capture)
        {
            EndCapture(capture);
        }
    }

    private void EndCapture(Capture capture)
    {
        lock (_lock)
        {
            capture.Network.Remove(capture);
        }

        capture.Buffer.Close();
    }
}
