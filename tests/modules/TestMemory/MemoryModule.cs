using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SupHost.Abi;

[assembly: SupModule("test-memory", typeof(SupHost.TestModules.Memory.MemoryModule))]

namespace SupHost.TestModules.Memory;

/// <summary>
/// Touches a client's allocation the way a careless module would: through the Abi 1.0 view, read
/// and written inside a call, and kept past the call (past the client's PageFree or death).
/// Every entry point takes the allocation's handle in the argument and an offset in the operation.
/// </summary>
public sealed class MemoryModule : ISupModule
{
    private IModuleHost? _host;
    private Memory<byte> _kept;
    private IModuleMemoryLease? _lease;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate() => _kept = default; // a lease left here is ended by the daemon

    /// <summary>Copies bytes at the offset into the output, through a fresh 1.0 view.</summary>
    [SupEntryPoint]
    public int Read(ref ModuleCall call)
    {
        Span<byte> memory = _host!.Memory.View(call.Session, call.Argument).Span;
        int length = Math.Min(call.Output.Length, memory.Length - (int)call.Operation);
        memory.Slice((int)call.Operation, length).CopyTo(call.Output);
        call.OutputLength = length;
        return 0;
    }

    /// <summary>Writes the input at the offset, through a fresh 1.0 view.</summary>
    [SupEntryPoint]
    public int Write(ref ModuleCall call)
    {
        call.Input.CopyTo(_host!.Memory.View(call.Session, call.Argument).Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>Takes a 1.0 view and keeps it in a field, beyond this call.</summary>
    [SupEntryPoint]
    public int Keep(ref ModuleCall call)
    {
        _kept = _host!.Memory.View(call.Session, call.Argument);
        return 0;
    }

    /// <summary>
    /// Leases the allocation's first pages (as many as the input's first byte says; writable when
    /// its second byte is 1) and keeps the lease; returns the host's status.
    /// </summary>
    [SupEntryPoint("Lease")]
    public int TakeLease(ref ModuleCall call)
    {
        int status = _host!.Memory.Lease(call.Session, call.Argument, 0, call.Input[0] * 4096, call.Input[1] == 1, out IModuleMemoryLease? lease);
        if (status == 0)
        {
            _lease = lease;
        }

        return status;
    }

    /// <summary>Writes the input at the offset of the kept lease, through its writable memory.</summary>
    [SupEntryPoint]
    public int WriteLeased(ref ModuleCall call)
    {
        call.Input.CopyTo(_lease!.Memory.Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>Copies the kept lease's bytes at the offset into the output; the first output byte is 1 when the allocation was freed.</summary>
    [SupEntryPoint]
    public int ReadLeased(ref ModuleCall call)
    {
        call.Output[0] = _lease!.IsFreed ? (byte)1 : (byte)0;
        _lease.ReadOnlyMemory.Span.Slice((int)call.Operation, call.Output.Length - 1).CopyTo(call.Output[1..]);
        call.OutputLength = call.Output.Length;
        return 0;
    }

    /// <summary>Disposes the kept lease.</summary>
    [SupEntryPoint]
    public int EndLease(ref ModuleCall call)
    {
        _lease?.Dispose();
        _lease = null;
        return 0;
    }

    /// <summary>Writes the input at the offset of the view <see cref="Keep"/> kept (whatever became of the memory).</summary>
    [SupEntryPoint]
    public int WriteKept(ref ModuleCall call)
    {
        call.Input.CopyTo(_kept.Span[(int)call.Operation..]);
        return 0;
    }

    /// <summary>
    /// Descriptors both ways (Abi 1.1): the request carries an eventfd and a socket; the module
    /// adds 1 to the eventfd (it takes it, and closes it), writes "hello" to the socket (which it
    /// leaves to the daemon, unclaimed), makes a page and an auto-reset event for the session
    /// (the page's byte 0 is 0x42, the event signalled) and replies with their two descriptors;
    /// the output is their handles.
    /// </summary>
    [SupEntryPoint]
    public int Exchange(ref ModuleCall call)
    {
        if (call.Descriptors.Count != 2)
        {
            return -1000;
        }

        using (ModuleDescriptor doorbell = call.Descriptors[0].Take())
        {
            Span<byte> one = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(one, 1);
            Write(doorbell.Handle, one);
        }

        Write(call.Descriptors[1].Handle, "hello"u8);
        int status = MakeForSession(call.Session, out ulong memory, out ModuleDescriptor? memoryFd, out ulong evt, out ModuleDescriptor? eventFd);
        if (status != 0)
        {
            return status;
        }

        call.Reply(memoryFd!);
        call.Reply(eventFd!);
        BinaryPrimitives.WriteUInt64LittleEndian(call.Output, memory);
        BinaryPrimitives.WriteUInt64LittleEndian(call.Output[8..], evt);
        call.OutputLength = 16;
        return 0;
    }

    /// <summary>Waits for the client to go (the call's cancellation), then replies as <see cref="Exchange"/> does: to nobody.</summary>
    [SupEntryPoint]
    public int ReplyLate(ref ModuleCall call)
    {
        if (!call.Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)))
        {
            return -1001;
        }

        int status = MakeForSession(call.Session, out _, out ModuleDescriptor? memoryFd, out _, out ModuleDescriptor? eventFd);
        if (status != 0)
        {
            return status;
        }

        call.Reply(memoryFd!);
        call.Reply(eventFd!);
        return 0;
    }

    /// <summary>Replies with a descriptor the daemon did not make (the module's own /dev/null).</summary>
    [SupEntryPoint]
    public static int ReplyForeign(ref ModuleCall call)
    {
        call.Reply(new ModuleDescriptor(File.OpenHandle("/dev/null")));
        return 0;
    }

    private int MakeForSession(ISessionIdentity session, out ulong memory, out ModuleDescriptor? memoryFd, out ulong evt, out ModuleDescriptor? eventFd)
    {
        evt = 0;
        eventFd = null;
        int status = _host!.Memory.Allocate(session, 1, out memory, out memoryFd);
        if (status != 0)
        {
            return status;
        }

        _host.Memory.View(session, memory).Span[0] = 0x42;
        status = _host.Events.Create(session, multi: false, out evt, out eventFd);
        if (status != 0)
        {
            memoryFd!.Dispose();
            return status;
        }

        return _host.Events.Signal(session, evt);
    }

    /// <summary>write(2) through the runtime (no P/Invoke in a module): an unbuffered FileStream over an unseekable descriptor.</summary>
    private static void Write(SafeHandle handle, ReadOnlySpan<byte> bytes)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            using var file = new SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false);
            using var stream = new FileStream(file, FileAccess.Write, bufferSize: 0);
            stream.Write(bytes);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
