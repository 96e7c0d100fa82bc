using System.Diagnostics;

namespace SupHost.IntNet.Format.Tests;

/// <summary>A producer and a consumer on two threads over native memory, as the switch and a client run.</summary>
public unsafe class RingThreadTests
{
    private const int FrameCount = 4_000_000;

    [Fact]
    public void Two_threads_move_four_million_frames_of_varied_sizes_byte_exact_and_in_order()
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(64, 65536));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 64, 65536);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Send);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Send);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? failure = null;
        ulong bytesSent = 0;
        ulong bytesReceived = 0;

        void Fail(string message)
        {
            Interlocked.CompareExchange(ref failure, message, null);
            stop.Cancel();
        }

        var producer = new Thread(() => Produce(writer, Fail, ref bytesSent, stop.Token));
        var consumer = new Thread(() => Consume(reader, Fail, ref bytesReceived, stop.Token));

        var clock = Stopwatch.StartNew();
        producer.Start();
        consumer.Start();
        producer.Join();
        consumer.Join();
        clock.Stop();

        Assert.True(failure is null, failure);
        Assert.False(stop.IsCancellationRequested, $"the threads did not finish within 60 s: {reader.FramesRead} frames read");
        Assert.Equal((ulong)FrameCount, writer.FramesWritten);
        Assert.Equal((ulong)FrameCount, reader.FramesRead);
        Assert.Equal(bytesSent, writer.BytesWritten);
        Assert.Equal(bytesSent, bytesReceived);
        Assert.Equal(bytesSent, reader.BytesRead);
        Assert.Equal(0ul, reader.BadEntries);
        Assert.Equal(0, reader.PendingBytes);
        buffer.AssertGuardsIntact();
        Console.WriteLine($"rings: {FrameCount} frames, {bytesSent / 1048576} MiB in {clock.Elapsed.TotalSeconds:F2} s, {writer.Overflows} overflows");
    }

    private static void Produce(RingWriter writer, Action<string> fail, ref ulong bytesSent, CancellationToken stop)
    {
        var wait = default(SpinWait);
        for (ulong sequence = 0; sequence < FrameCount && !stop.IsCancellationRequested;)
        {
            int size = Size(sequence);
            RingStatus status = writer.Allocate(size, FrameType.Frame, out Span<byte> frame);
            if (status == RingStatus.Overflow)
            {
                wait.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            if (status != RingStatus.Success)
            {
                fail($"the writer answered {status} at frame {sequence}");
                return;
            }

            Frames.Fill(frame, sequence);
            writer.Commit();
            bytesSent += (ulong)size;
            sequence++;
            wait.Reset();
        }
    }

    private static void Consume(RingReader reader, Action<string> fail, ref ulong bytesReceived, CancellationToken stop)
    {
        var wait = default(SpinWait);
        byte[] copy = new byte[16384];
        for (ulong sequence = 0; sequence < FrameCount && !stop.IsCancellationRequested;)
        {
            // Most frames are checked in place; every third one is copied out.
            RingStatus status;
            ReadOnlySpan<byte> frame;
            if (sequence % 3 == 0)
            {
                status = reader.Read(copy, out int length, out _);
                frame = copy.AsSpan(0, length);
            }
            else
            {
                status = reader.Peek(out _, out frame);
            }

            if (status == RingStatus.Empty)
            {
                wait.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            if (status != RingStatus.Success)
            {
                fail($"the reader answered {status} at frame {sequence}");
                return;
            }

            if (frame.Length != Size(sequence) || !Frames.Matches(frame, sequence))
            {
                fail($"frame {sequence} differs: {frame.Length} bytes, {Size(sequence)} expected");
                return;
            }

            if (sequence % 3 != 0)
            {
                reader.Skip();
            }

            bytesReceived += (ulong)frame.Length;
            sequence++;
            wait.Reset();
        }
    }

    /// <summary>Mostly small frames, every 64th an Ethernet MTU's, every 1024th a jumbo one.</summary>
    private static int Size(ulong sequence) =>
        sequence % 1024 == 0 ? 9000
        : sequence % 64 == 0 ? 1514
        : 8 + (int)(((sequence * 2654435761UL) >> 11) % 200);
}
