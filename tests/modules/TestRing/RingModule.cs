using System.Buffers.Binary;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using SupHost.Abi;
using SupHost.IntNet.Format;

[assembly: SupModule("test-ring", typeof(SupHost.TestModules.Ring.RingModule))]

namespace SupHost.TestModules.Ring;

/// <summary>
/// The switch's side of one IntNet interface buffer per session, as far as the rings go: the module
/// allocates the buffer for the session, writes the receive ring and reads the send ring, all with
/// its own private copy of SupHost.IntNet.Format.
/// </summary>
/// <remarks>
/// Frames in a call's input: each a u32 whose low 24 bits are the length and top byte the type
/// (the ring header's first word), then the bytes. Statuses of its own: -1001 malformed input,
/// -1002 the send ring is corrupt, -1003 the receive ring's read offset is corrupt, -1005 the
/// session has no buffer, -1006 it has one already.
/// </remarks>
public sealed class RingModule : ISupModule
{
    private const int MalformedInput = -1001;
    private const int SendRingCorrupt = -1002;
    private const int ReceiveRingCorrupt = -1003;
    private const int NoBuffer = -1005;
    private const int HasBuffer = -1006;
    private const int MaxRingSize = 1 << 20;
    private const int PageSize = 4096;

    private readonly Dictionary<uint, InterfaceBuffer> _buffers = [];
    private readonly Lock _lock = new();
    private IModuleHost? _host;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate()
    {
        lock (_lock)
        {
            foreach (InterfaceBuffer buffer in _buffers.Values)
            {
                buffer.Dispose();
            }

            _buffers.Clear();
        }
    }

    /// <summary>
    /// Input: u32 receive ring size, u32 send ring size, then frames for the receive ring. Makes the
    /// buffer for the session, initializes it, writes the frames, and replies with the allocation's
    /// descriptor; output: u64 handle, u32 cbBuf, u32 frames written, then the name of the load
    /// context SupHost.IntNet.Format was loaded into (UTF-8).
    /// </summary>
    [SupEntryPoint]
    public int Create(ref ModuleCall call)
    {
        if (call.Input.Length < 8 || call.Output.Length < 16)
        {
            return MalformedInput;
        }

        int receiveSize = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(call.Input), MaxRingSize + 1u);
        int sendSize = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(call.Input[4..]), MaxRingSize + 1u);
        ReadOnlySpan<byte> frames = call.Input[8..];
        if (receiveSize > MaxRingSize || sendSize > MaxRingSize || !IsWellFormed(frames))
        {
            return MalformedInput;
        }

        lock (_lock)
        {
            if (_buffers.ContainsKey(call.Session.Id))
            {
                return HasBuffer;
            }

            // The allocation is the session's; the lease keeps the daemon's mapping for the module
            // across calls, and each ring object pins it.
            BufferLayout layout = IntNetBuffer.Layout(receiveSize, sendSize);
            int pages = (layout.Size + PageSize - 1) / PageSize;
            int status = _host!.Memory.Allocate(call.Session, pages, out ulong handle, out ModuleDescriptor? descriptor);
            if (status != 0)
            {
                return status;
            }

            status = _host.Memory.Lease(call.Session, handle, 0, pages * PageSize, writable: true, out IModuleMemoryLease? lease);
            if (status != 0)
            {
                descriptor!.Dispose();
                return status;
            }

            Memory<byte> memory = lease!.Memory;
            IntNetBuffer.Initialize(memory.Span, receiveSize, sendSize);
            var buffer = new InterfaceBuffer(lease, new RingWriter(memory, layout.Receive), new RingReader(memory, layout.Send));
            _buffers.Add(call.Session.Id, buffer);
            status = buffer.Deliver(frames, out int written);
            if (status != 0)
            {
                _buffers.Remove(call.Session.Id);
                buffer.Dispose();
                descriptor!.Dispose();
                return status;
            }

            call.Reply(descriptor!);
            BinaryPrimitives.WriteUInt64LittleEndian(call.Output, handle);
            BinaryPrimitives.WriteUInt32LittleEndian(call.Output[8..], (uint)layout.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(call.Output[12..], (uint)written);
            string context = AssemblyLoadContext.GetLoadContext(typeof(RingReader).Assembly)?.Name ?? "";
            call.OutputLength = 16 + Encoding.UTF8.GetBytes(context, call.Output[16..]);
            return 0;
        }
    }

    /// <summary>Input: frames for the receive ring. Output: u32 written, u32 refused because the ring was full.</summary>
    [SupEntryPoint]
    public int Deliver(ref ModuleCall call)
    {
        if (call.Output.Length < 8 || !IsWellFormed(call.Input))
        {
            return MalformedInput;
        }

        lock (_lock)
        {
            if (!_buffers.TryGetValue(call.Session.Id, out InterfaceBuffer? buffer))
            {
                return NoBuffer;
            }

            int status = buffer.Deliver(call.Input, out int written);
            BinaryPrimitives.WriteUInt32LittleEndian(call.Output, (uint)written);
            BinaryPrimitives.WriteUInt32LittleEndian(call.Output[4..], (uint)(CountFrames(call.Input) - written));
            call.OutputLength = 8;
            return status;
        }
    }

    /// <summary>
    /// Reads what the send ring holds, in one bounded pass. Output: u32 frames, u64 bad entries so
    /// far, then the SHA-256 of every frame's type byte, u32 length and bytes, in order.
    /// </summary>
    [SupEntryPoint]
    public int Drain(ref ModuleCall call)
    {
        if (call.Output.Length < 44)
        {
            return MalformedInput;
        }

        lock (_lock)
        {
            if (!_buffers.TryGetValue(call.Session.Id, out InterfaceBuffer? buffer))
            {
                return NoBuffer;
            }

            using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            int frames = 0;
            bool corrupt = false;
            Span<byte> prefix = stackalloc byte[5];

            // One pass takes at most what the ring can hold, so a writer that keeps publishing cannot keep it here.
            for (int budget = (buffer.Reader.Layout.DataSize / 8) + 1; budget > 0; budget--)
            {
                RingStatus status = buffer.Reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame);
                if (status != RingStatus.Success)
                {
                    corrupt = status == RingStatus.Corrupt;
                    break;
                }

                prefix[0] = (byte)type;
                BinaryPrimitives.WriteUInt32LittleEndian(prefix[1..], (uint)frame.Length);
                digest.AppendData(prefix);
                digest.AppendData(frame);
                buffer.Reader.Skip();
                frames++;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(call.Output, (uint)frames);
            BinaryPrimitives.WriteUInt64LittleEndian(call.Output[4..], buffer.Reader.BadEntries);
            digest.GetHashAndReset(call.Output[12..44]);
            call.OutputLength = 44;
            return corrupt ? SendRingCorrupt : 0;
        }
    }

    /// <summary>Drops the module's hold of the session's buffer (the allocation stays the session's).</summary>
    [SupEntryPoint]
    public int Close(ref ModuleCall call)
    {
        lock (_lock)
        {
            if (!_buffers.Remove(call.Session.Id, out InterfaceBuffer? buffer))
            {
                return NoBuffer;
            }

            buffer.Dispose();
            return 0;
        }
    }

    /// <summary>Whether the input is a whole number of frames, each 1 to 65535 bytes (input is as hostile as shared memory).</summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> input)
    {
        while (!input.IsEmpty)
        {
            if (input.Length < 4)
            {
                return false;
            }

            uint word = BinaryPrimitives.ReadUInt32LittleEndian(input);
            int length = (int)(word & 0xFFFFFF);
            byte type = (byte)(word >> 24);
            if (length is 0 or > 65535 || length > input.Length - 4 || type is not (0x42 or 0x64))
            {
                return false;
            }

            input = input[(4 + length)..];
        }

        return true;
    }

    private static int CountFrames(ReadOnlySpan<byte> input)
    {
        int count = 0;
        while (!input.IsEmpty)
        {
            int length = (int)(BinaryPrimitives.ReadUInt32LittleEndian(input) & 0xFFFFFF);
            input = input[(4 + length)..];
            count++;
        }

        return count;
    }

    private sealed class InterfaceBuffer(IModuleMemoryLease lease, RingWriter writer, RingReader reader) : IDisposable
    {
        public RingReader Reader => reader;

        /// <summary>Writes well-formed frames into the receive ring until one does not fit; -1003 when the client's read offset is corrupt.</summary>
        public int Deliver(ReadOnlySpan<byte> frames, out int written)
        {
            written = 0;
            while (!frames.IsEmpty)
            {
                uint word = BinaryPrimitives.ReadUInt32LittleEndian(frames);
                int length = (int)(word & 0xFFFFFF);
                RingStatus status = writer.Write(frames.Slice(4, length), (FrameType)(word >> 24));
                if (status == RingStatus.Corrupt)
                {
                    return ReceiveRingCorrupt;
                }

                if (status != RingStatus.Success)
                {
                    return 0;
                }

                written++;
                frames = frames[(4 + length)..];
            }

            return 0;
        }

        public void Dispose()
        {
            writer.Dispose();
            reader.Dispose();
            lease.Dispose();
        }
    }
}
