using SupHost.Abi;
using SupHost.Driver.Internal.Events;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules.Io;

/// <summary>
/// A descriptor a module holds (<see cref="IModuleIoHandle"/>): the <see cref="SafeFd"/> never
/// leaves the daemon; every operation is one non-blocking call whose errno becomes a status.
/// </summary>
/// <remarks>
/// A shared handle's open file is also a client's (a descriptor the client sent, adopted; a
/// duplicate of a session's event), and the client may clear its O_NONBLOCK: such a handle reads
/// and writes with RWF_NOWAIT, signals a session's event through the daemon's AIO signaller, and
/// takes its counter with RWF_NOWAIT. Closing leaves every readiness set first (EPOLL_CTL_DEL),
/// since epoll drops a registration only when the open file goes, which the client still holds.
/// </remarks>
internal sealed class ModuleIoHandle : IModuleDatagramSocket
{
    private readonly ModuleIo _owner;
    private readonly string? _socketPath;
    private readonly bool _shared;
    private readonly EventEntry? _sessionEvent;
    private readonly EventSignaller? _signaller;
    private int _closed;

    public ModuleIoHandle(ModuleIo owner, IoHandleKind kind, string name, SafeFd fd, string? socketPath, bool shared = false)
    {
        _owner = owner;
        Kind = kind;
        Name = name;
        Fd = fd;
        _socketPath = socketPath;
        _shared = shared;
    }

    /// <summary>A handle over a duplicate of a session's event: shared, signalled through <paramref name="signaller"/>.</summary>
    public ModuleIoHandle(ModuleIo owner, string name, SafeFd duplicate, EventEntry sessionEvent, EventSignaller signaller)
        : this(owner, IoHandleKind.Event, name, duplicate, null, shared: true)
    {
        _sessionEvent = sessionEvent;
        _signaller = signaller;
    }

    /// <summary>Whether it is a session event's (Read and Write refused).</summary>
    internal bool IsSessionEvent => _sessionEvent is not null;

    public IoHandleKind Kind { get; }

    public string Name { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The descriptor, for the readiness sets of the same module.</summary>
    internal SafeFd Fd { get; }

    internal ModuleIo Owner => _owner;

    public int Read(Span<byte> buffer)
    {
        if (IsClosed)
        {
            return Closed("read");
        }

        if (SessionEventRefusal("Read") is int refused)
        {
            return refused;
        }

        try
        {
            return Result(Libc.TryRead(Fd, buffer, out int read, _shared), read, "read");
        }
        catch (ObjectDisposedException)
        {
            return Closed("read");
        }
    }

    public int Read(ReadOnlySpan<Memory<byte>> buffers)
    {
        if ((Vectors(buffers.Length, "read") ?? SessionEventRefusal("Read")) is int refused)
        {
            return refused;
        }

        try
        {
            return Result(Libc.TryReadVector(Fd, buffers, out int read, _shared), read, "readv");
        }
        catch (ObjectDisposedException)
        {
            return Closed("readv");
        }
    }

    public int Write(ReadOnlySpan<byte> data)
    {
        if (IsClosed)
        {
            return Closed("write");
        }

        if (SessionEventRefusal("Write") is int refused)
        {
            return refused;
        }

        try
        {
            return Result(Libc.TryWrite(Fd, data, out int written, _shared), written, "write");
        }
        catch (ObjectDisposedException)
        {
            return Closed("write");
        }
    }

    public int Write(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        if (IsClosed)
        {
            return Closed("writev");
        }

        if (SessionEventRefusal("Write") is int refused)
        {
            return refused;
        }

        try
        {
            return Result(Libc.TryWrite(Fd, head, body, out int written, _shared), written, "writev");
        }
        catch (ObjectDisposedException)
        {
            return Closed("writev");
        }
    }

    public int Write(ReadOnlySpan<ReadOnlyMemory<byte>> buffers)
    {
        if ((Vectors(buffers.Length, "write") ?? SessionEventRefusal("Write")) is int refused)
        {
            return refused;
        }

        try
        {
            return Result(Libc.TryWriteVector(Fd, buffers, out int written, _shared), written, "writev");
        }
        catch (ObjectDisposedException)
        {
            return Closed("writev");
        }
    }

    public int ReceiveFrom(Span<byte> buffer, Span<byte> source, out int sourceLength)
    {
        sourceLength = 0;
        if (Kind != IoHandleKind.UnixDatagram)
        {
            return WrongKind("ReceiveFrom", IoHandleKind.UnixDatagram);
        }

        if (IsClosed)
        {
            return Closed("recvfrom");
        }

        try
        {
            return Result(Libc.TryReceiveFrom(Fd, buffer, source, out int received, out sourceLength), received, "recvfrom");
        }
        catch (ObjectDisposedException)
        {
            return Closed("recvfrom");
        }
    }

    public int SendTo(ReadOnlySpan<byte> data, ReadOnlySpan<byte> destination)
    {
        if (Kind != IoHandleKind.UnixDatagram)
        {
            return WrongKind("SendTo", IoHandleKind.UnixDatagram);
        }

        if (IsClosed)
        {
            return Closed("sendto");
        }

        if (destination.Length is 0 or > Libc.MaxUnixPathBytes)
        {
            return _owner.Fail(SupStatus.InvalidName, $"sendto on {Name}: a destination of {destination.Length} bytes; 1 to {Libc.MaxUnixPathBytes} are allowed");
        }

        try
        {
            return Result(Libc.TrySendTo(Fd, data, destination, out int sent), sent, "sendto");
        }
        catch (ObjectDisposedException)
        {
            return Closed("sendto");
        }
    }

    public int Signal()
    {
        if (Kind != IoHandleKind.Event)
        {
            return WrongKind("Signal", IoHandleKind.Event);
        }

        if (_sessionEvent is not null)
        {
            if (IsClosed)
            {
                return Closed("Signal");
            }

            try
            {
                SupStatus signalled = _sessionEvent.Signal(_signaller!, out string? message, out _);
                return signalled == SupStatus.Success ? 0 : _owner.Fail(signalled, $"Signal on {Name}: {message}");
            }
            catch (ObjectDisposedException)
            {
                return Closed("Signal");
            }
            catch (NativeException ex)
            {
                return _owner.Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"Signal on {Name} failed: {ex.Message}");
            }
        }

        // eventfd(2): a write of 1 that would pass 0xfffffffffffffffe is EAGAIN on a non-blocking
        // descriptor: the event stays signalled, so that is WouldBlock, not a failure.
        ulong one = 1;
        int result = Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<ulong>(in one)));
        return result >= 0 ? 0 : result;
    }

    public long Consume()
    {
        if (Kind != IoHandleKind.Event)
        {
            return WrongKind("Consume", IoHandleKind.Event);
        }

        if (_sessionEvent is not null)
        {
            if (IsClosed)
            {
                return Closed("Consume");
            }

            try
            {
                return Libc.TryConsumeEventWithoutBlocking(Fd, out ulong taken) ? (long)Math.Min(taken, long.MaxValue) : (int)SupStatus.WouldBlock;
            }
            catch (ObjectDisposedException)
            {
                return Closed("Consume");
            }
            catch (NativeException ex)
            {
                return _owner.Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"Consume on {Name} failed: {ex.Message}");
            }
        }

        ulong count = 0;
        int result = Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<ulong>(ref count)));
        return result >= 0 ? (long)Math.Min(count, long.MaxValue) : result;
    }

    public int Accept(out IModuleIoHandle? connection)
    {
        connection = null;
        if (Kind is not (IoHandleKind.UnixListener or IoHandleKind.TcpListener))
        {
            return WrongKind("Accept", IoHandleKind.UnixListener);
        }

        return IsClosed ? Closed("accept") : _owner.Accept(this, out connection);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // Out of every set while the descriptor is still open (see the remarks).
        _owner.Leave(this);
        _sessionEvent?.RemoveDependent(this);
        Fd.Dispose();
        if (_socketPath is not null)
        {
            // The path was made by this handle's bind; unix(7): it stays until unlinked.
            try
            {
                File.Delete(_socketPath);
            }
            catch (IOException)
            {
                // Gone or replaced meanwhile: nothing of ours to remove.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }
        }

        _owner.OnClosed(this);
    }

    private int? Vectors(int count, string call)
    {
        if (IsClosed)
        {
            return Closed(call);
        }

        if (count is < 1 or > Libc.MaxIoVectors)
        {
            return _owner.Fail(SupStatus.InvalidParameter, $"{call} on {Name}: {count} buffers; 1 to {Libc.MaxIoVectors} are allowed");
        }

        return null;
    }

    private int? SessionEventRefusal(string call) =>
        _sessionEvent is null ? null : _owner.Fail(SupStatus.InvalidParameter, $"{call} on {Name}: a session's event takes Signal and Consume only");

    private int Result(Errno errno, int transferred, string call)
    {
        if (errno == Errno.None)
        {
            return transferred;
        }

        SupStatus status = ErrnoStatus.IoStatusOf(errno);
        return status == SupStatus.WouldBlock ? (int)status : _owner.Fail(status, $"{call} on {Name} failed: {errno}");
    }

    private int Closed(string call) => _owner.Fail(SupStatus.ObjectDying, $"{call} on {Name}: the handle is closed");

    private int WrongKind(string call, IoHandleKind wanted) =>
        _owner.Fail(SupStatus.InvalidParameter, $"{call} on {Name}: it is a {Kind} handle; {call} takes a {wanted}");
}
