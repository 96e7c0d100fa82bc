using System.Buffers.Binary;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// A live capture of every frame a network switches (CaptureStart): the switch copies each
/// switched frame's first snap-length bytes into this capture's ring, and drops (and counts,
/// <see cref="Lost"/>) what does not fit, so a slow reader never slows the switch. Read records
/// with <see cref="TryRead"/> and <see cref="Wait(int, CancellationToken)"/> from one thread at a
/// time; <see cref="Dispose"/> stops the capture (CaptureStop).
/// </summary>
public sealed class IntNetCapture : IDisposable
{
    private readonly IntNetModule? _module;
    private readonly IntNetMapping _mapping;
    private readonly DoorbellReceiver _receiver;
    private readonly SafeFd _doorbell;
    private readonly byte[] _entry;
    private int _reading;
    private int _disposed;
    private long _malformed;

    private IntNetCapture(IntNetModule? module, string network, ulong handle, int snapLength, IntNetMapping mapping, SafeFd doorbell)
    {
        _module = module;
        Network = network;
        Handle = handle;
        SnapLength = snapLength;
        _mapping = mapping;
        _doorbell = doorbell;
        _receiver = new DoorbellReceiver(mapping, doorbell);
        _entry = new byte[Math.Min(mapping.Layout.Receive.DataSize, IntNetCaptureRecord.HeaderSize + snapLength)];
    }

    /// <summary>The largest snap length: a whole 64 KiB frame.</summary>
    public const int MaxSnapLength = 65535;

    /// <summary>The capture's handle in the caller's session.</summary>
    public ulong Handle { get; }

    /// <summary>The network captured.</summary>
    public string Network { get; }

    /// <summary>The most bytes of each frame the records carry.</summary>
    public int SnapLength { get; }

    /// <summary>Records the switch could not put into the capture ring because it was full (the switch's counter).</summary>
    public ulong Lost
    {
        get
        {
            _mapping.Enter(this);
            try
            {
                return _mapping.Statistics.Lost;
            }
            finally
            {
                _mapping.Leave();
            }
        }
    }

    /// <summary>Records read.</summary>
    public ulong RecordsRead => _receiver.Reader.FramesRead;

    /// <summary>Entries that were not records (too short, or inconsistent lengths) and were skipped.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>
    /// The next record, if one is pending; its <see cref="IntNetCaptureRecord.Data"/> lies in a
    /// buffer of this capture, valid until the next read. Never waits.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another read or wait runs at the same time.</exception>
    public bool TryRead(out IntNetCaptureRecord record)
    {
        EnterRead();
        try
        {
            while (true)
            {
                RingStatus status = _receiver.TryRead(_entry, out int length, out _);
                if (status == RingStatus.DestinationTooSmall)
                {
                    // Longer than any record of this snap length: not the switch's, skip it.
                    _receiver.Reader.Peek(out _, out _);
                    _receiver.Reader.Skip();
                    Interlocked.Increment(ref _malformed);
                    continue;
                }

                if (status != RingStatus.Success)
                {
                    record = default;
                    return false;
                }

                if (IntNetCaptureRecord.TryParse(_entry.AsSpan(0, length), out record))
                {
                    return true;
                }

                Interlocked.Increment(ref _malformed);
            }
        }
        finally
        {
            LeaveRead();
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit) for a record:
    /// <see cref="SupStatus.Success"/>, <see cref="SupStatus.WaitTimedOut"/>,
    /// <see cref="SupStatus.ObjectDying"/> (the capture ended: stopped, or its network deleted) or
    /// <see cref="SupStatus.WaitCancelled"/> (the token was cancelled).
    /// </summary>
    public SupStatus Wait(int timeoutMilliseconds, CancellationToken cancellationToken = default)
    {
        if (_disposed != 0)
        {
            return SupStatus.ObjectDying;
        }

        EnterRead();
        try
        {
            return _receiver.Wait(timeoutMilliseconds, cancellationToken);
        }
        finally
        {
            LeaveRead();
        }
    }

    /// <summary>Stops the capture in the switch and unmaps its ring once no read uses it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _receiver.Close();
        _module?.CloseQuietly("CaptureStop", Handle);
        _mapping.Dispose();
        _doorbell.Dispose();
    }

    /// <summary>Starts a capture through the switch (CaptureStart).</summary>
    internal static IntNetCapture Start(IntNetModule module, string network, int snapLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, MaxSnapLength);
        int snap = snapLength == 0 ? MaxSnapLength : snapLength;
        SupReply reply = module.Call("CaptureStart", (uint)snap, 0, IntNetWire.NetworkName(network), IntNetWire.CaptureReplySize, out IReadOnlyList<SafeFd> received);
        ulong handle = 0;
        try
        {
            if (reply.Payload.Length < IntNetWire.CaptureReplySize)
            {
                throw new SupException(SupStatus.ProtocolError, $"intnet.CaptureStart replied with {reply.Payload.Length} bytes instead of {IntNetWire.CaptureReplySize}");
            }

            handle = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
            uint bytes = BinaryPrimitives.ReadUInt32LittleEndian(reply.Payload.AsSpan(8));
            if (received.Count != 2)
            {
                throw new SupException(SupStatus.ProtocolError, $"intnet.CaptureStart replied with {received.Count} descriptors instead of 2 (buffer, doorbell)");
            }

            IntNetMapping mapping = IntNetMapping.Map(received[0], bytes);
            received[0].Dispose();
            return new IntNetCapture(module, network, handle, snap, mapping, received[1]);
        }
        catch
        {
            foreach (SafeFd fd in received)
            {
                fd.Dispose();
            }

            if (handle != 0)
            {
                module.CloseQuietly("CaptureStop", handle);
            }

            throw;
        }
    }

    /// <summary>A capture over a buffer and doorbell made elsewhere (a test playing the switch).</summary>
    internal static IntNetCapture Attach(SafeFd memory, uint bufferBytes, SafeFd doorbell, int snapLength)
    {
        IntNetMapping mapping = IntNetMapping.Map(memory, bufferBytes);
        return new IntNetCapture(null, "(attached)", 0, snapLength, mapping, doorbell);
    }

    private void EnterRead()
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("another read or wait runs on this capture: its ring has one consumer");
        }

        try
        {
            _mapping.Enter(this);
        }
        catch
        {
            Volatile.Write(ref _reading, 0);
            throw;
        }
    }

    private void LeaveRead()
    {
        _mapping.Leave();
        Volatile.Write(ref _reading, 0);
    }
}
