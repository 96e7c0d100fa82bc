using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 11, the client library over the real daemon and module: this process opens an interface
/// with SupClient.OpenIntNetInterface, the test peer (another process, <c>intnet-peer</c>) opens one
/// on the same network the same way, and frames go between them through the switch.
/// </summary>
public sealed class IntNetClientTests : IClassFixture<DaemonFixture>
{
    private static readonly byte[] MacA = [0x02, 0xaa, 0, 0, 0, 0x01];
    private static readonly byte[] MacB = [0x02, 0xbb, 0, 0, 0, 0x02];
    private static readonly byte[] MacNobody = [0x02, 0xcc, 0, 0, 0, 0x03];
    private static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private readonly Daemon _daemon;

    public IntNetClientTests(DaemonFixture fixture) => _daemon = fixture.Daemon;

    [Fact]
    public void Frames_go_both_ways_between_two_processes_byte_exact()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        Assert.True(a.Created);
        a.SetActive(true);
        using var peer = new IntNetPeerProcess(_daemon, name);
        Assert.Equal("OK", peer.Ask("active 1"));

        byte[] toPeer = Frame(Broadcast, MacA, 60, 1);
        a.Send(toPeer);
        a.Kick();
        Assert.Equal($"FRAME {Hex(toPeer)}", peer.Ask("recv"));

        // A unicast back to the MAC the switch learned from a's first frame.
        byte[] toA = Frame(MacA, MacB, 1514, 2);
        Assert.Equal("OK", peer.Ask($"send {Hex(toA)}"));
        byte[] received = new byte[2048];
        int length = a.Receive(received, TimeSpan.FromSeconds(10));
        Assert.Equal(toA, received[..length]);
        Assert.Equal(Hex(MacA), Hex(a.MacAddress.GetAddressBytes()));

        // No echo: a got nothing of its own.
        Assert.False(a.TryReceive(received, out _));
        Assert.Equal("NONE", peer.Ask("recv"));
    }

    [Fact]
    public void An_inactive_interface_receives_nothing_until_set_active()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetActive(true);
        using var peer = new IntNetPeerProcess(_daemon, name);
        Assert.EndsWith(" False False False", peer.Ask("state"), StringComparison.Ordinal);

        a.Send(Frame(Broadcast, MacA, 64, 1));
        a.Kick();
        Assert.Equal("NONE", peer.Ask("recv"));

        Assert.Equal("OK", peer.Ask("active 1"));
        Assert.Contains(" True False False", peer.Ask("state"), StringComparison.Ordinal);
        byte[] second = Frame(Broadcast, MacA, 64, 2);
        a.Send(second);
        a.Kick();
        Assert.Equal($"FRAME {Hex(second)}", peer.Ask("recv"));

        Assert.Equal("OK", peer.Ask("active 0"));
        a.Send(Frame(Broadcast, MacA, 64, 3));
        a.Kick();
        Assert.Equal("NONE", peer.Ask("recv"));
    }

    [Fact]
    public void A_set_mac_takes_its_unicasts_only_and_is_not_relearned()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetActive(true);
        a.SetMac(new PhysicalAddress(MacA));
        Assert.True(a.IsMacSet);
        using var peer = new IntNetPeerProcess(_daemon, name);
        Assert.Equal("OK", peer.Ask($"mac {Hex(MacB)}"));
        Assert.Equal("OK", peer.Ask("active 1"));
        Assert.Equal($"STATE {Hex(MacB)} True False True", peer.Ask("state"));

        byte[] toB = Frame(MacB, MacA, 100, 1);
        a.Send(toB);
        a.Send(Frame(MacNobody, MacA, 100, 2));
        a.Kick();
        Assert.Equal($"FRAME {Hex(toB)}", peer.Ask("recv"));
        Assert.Equal("NONE", peer.Ask("recv"));

        // The peer sends from another source address: its set MAC stays, so a unicast to that source is dropped.
        Assert.Equal("OK", peer.Ask($"send {Hex(Frame(MacA, MacNobody, 100, 3))}"));
        byte[] received = new byte[256];
        Assert.Equal(100, a.Receive(received, TimeSpan.FromSeconds(10)));
        Assert.Equal($"STATE {Hex(MacB)} True False True", peer.Ask("state"));
        a.Send(Frame(MacNobody, MacA, 100, 4));
        a.Kick();
        Assert.Equal("NONE", peer.Ask("recv"));
    }

    [Fact]
    public void A_promiscuous_interface_sees_unicasts_to_others_until_it_stops()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetActive(true);
        a.SetMac(new PhysicalAddress(MacA));
        using var peer = new IntNetPeerProcess(_daemon, name);
        Assert.Equal("OK", peer.Ask($"mac {Hex(MacB)}"));
        Assert.Equal("OK", peer.Ask("active 1"));

        Assert.Equal("OK", peer.Ask("promisc 1"));
        Assert.Equal($"STATE {Hex(MacB)} True True True", peer.Ask("state"));
        byte[] other = Frame(MacNobody, MacA, 80, 1);
        a.Send(other);
        a.Kick();
        Assert.Equal($"FRAME {Hex(other)}", peer.Ask("recv"));

        Assert.Equal("OK", peer.Ask("promisc 0"));
        Assert.Equal($"STATE {Hex(MacB)} True False True", peer.Ask("state"));
        a.Send(Frame(MacNobody, MacA, 80, 2));
        a.Kick();
        Assert.Equal("NONE", peer.Ask("recv"));
    }

    [Fact]
    public void A_waiter_in_another_process_sees_the_network_deleted()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using var peer = new IntNetPeerProcess(_daemon, name);
        peer.Tell("wait 60000");
        Assert.Equal("WAITING", peer.ReadLine());

        client.DeleteIntNetNetwork(name);
        Assert.Equal($"STATUS {SupStatus.ObjectDying}", peer.ReadLine());
        Assert.True(a.IsClosed);
        Assert.Equal(SupStatus.ObjectDying, a.Wait(0));
        Assert.Equal($"STATUS {SupStatus.ObjectDying}", peer.Ask("active 1"));
        Assert.DoesNotContain($"\"{name}\"", client.ListIntNetNetworks(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiter_sees_its_interface_closed_by_the_switch()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using IntNetInterface b = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using var started = new ManualResetEventSlim();
        Task<SupStatus> waiter = Task.Run(() =>
        {
            started.Set();
            return a.Wait(60_000);
        });
        started.Wait();

        // The Close call on a's handle (not a.Dispose, which would answer ObjectDying by itself): only
        // the switch's Closed word and doorbell can end the wait.
        Assert.Equal(SupStatus.Success, IntNetHarness.Call(client, "Close", 0, a.Handle, []).Status);
        Assert.Equal(SupStatus.ObjectDying, await waiter.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(a.IsClosed);
        Assert.False(b.IsClosed);
    }

    [Fact]
    public void Every_frame_size_wraps_the_rings_both_ways_byte_exact_in_order_without_loss()
    {
        string name = NewName();
        using SupClient client = _daemon.Connect();
        using IntNetInterface a = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetMac(new PhysicalAddress(MacA));
        a.SetActive(true);
        using var peer = new IntNetPeerProcess(_daemon, name);
        Assert.Equal("OK", peer.Ask($"mac {Hex(MacB)}"));
        Assert.Equal("OK", peer.Ask("active 1"));

        var sizes = new List<int>();
        for (int size = 14; size <= 16_384; size += 8)
        {
            sizes.Add(size);
        }

        sizes.AddRange([16_385, 20_001, 32_768, 40_000, 50_007, 65_534, 65_535, 14, 65_535, 15]);

        // Windows of frames that together take at most half the receive ring: the sender sends a
        // window and kicks (every frame is then in the receiver's ring), the receiver reads it all.
        // The offsets keep moving from window to window, so the frames land at every position.
        var windows = new List<List<int>>();
        int used = 0;
        foreach (int size in sizes)
        {
            int entry = ((size + 7) & ~7) + 8;
            if (windows.Count == 0 || used + entry > IntNetOpenOptions.DefaultReceiveRingSize / 2)
            {
                windows.Add([]);
                used = 0;
            }

            windows[^1].Add(size);
            used += entry;
        }

        int sequence = 0;
        foreach (List<int> window in windows)
        {
            foreach (int size in window)
            {
                a.Send(Pattern(MacB, MacA, sequence++, size));
            }

            a.Kick();
            Assert.Equal($"OK {window.Count}", peer.Ask($"check-pattern {Hex(MacB)} {Hex(MacA)} {sequence - window.Count} {string.Join(',', window)}"));
        }

        byte[] buffer = new byte[70_000];
        sequence = 0;
        foreach (List<int> window in windows)
        {
            Assert.Equal($"OK {window.Count}", peer.Ask($"send-pattern {Hex(MacA)} {Hex(MacB)} {sequence} {string.Join(',', window)}"));
            foreach (int size in window)
            {
                int length = a.Receive(buffer, TimeSpan.FromSeconds(10), out FrameType type);
                Assert.Equal(FrameType.Frame, type);
                byte[] expected = Pattern(MacA, MacB, sequence++, size);
                Assert.True(buffer.AsSpan(0, length).SequenceEqual(expected), $"frame {sequence - 1}: expected {size} bytes, got {length}, or other bytes");
            }
        }

        Assert.False(a.TryReceive(buffer, out _));
        IntNetCounters counters = a.Counters;
        Assert.Equal(0ul, counters.Lost);
        Assert.Equal(0ul, counters.BadFrames);
        Assert.Equal((ulong)sizes.Count, counters.FramesReceived);
        Assert.Equal((ulong)sizes.Count, counters.FramesSent);
        Assert.Equal((ulong)sizes.Sum(), counters.BytesReceived);
        foreach (System.Text.Json.JsonElement port in IntNetHarness.Show(client, name).GetProperty("ports").EnumerateArray())
        {
            Assert.Equal(0, port.GetProperty("counters").GetProperty("lost").GetInt64());
            Assert.Equal(sizes.Count, port.GetProperty("counters").GetProperty("framesIn").GetInt64());
            Assert.Equal(sizes.Count, port.GetProperty("counters").GetProperty("framesOut").GetInt64());
        }
    }

    /// <summary>
    /// Both directions at once through the real switch: each side sends while the switch drains its
    /// send ring and the other side reads, so producer, switch and consumer of each ring run
    /// concurrently and the receivers keep falling asleep and being woken. The senders keep at
    /// most half a receive ring in flight (the reader keeps up), so no frame may be lost; every
    /// frame is checked byte by byte and in order.
    /// </summary>
    [Fact]
    public async Task Concurrent_senders_and_readers_both_ways_lose_and_corrupt_nothing()
    {
        const int Frames = 60_000;
        string name = NewName();
        using SupClient first = _daemon.Connect();
        using SupClient second = _daemon.Connect();
        using IntNetInterface a = first.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using IntNetInterface b = second.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        a.SetMac(new PhysicalAddress(MacA));
        b.SetMac(new PhysicalAddress(MacB));
        a.SetActive(true);
        b.SetActive(true);

        // Sizes from 14 to 1,514 bytes in an irregular order, and every 997th frame a 65,535-byte one.
        static int SizeOf(int i) => i % 997 == 996 ? 65_535 : 14 + (int)((uint)(i * 2_654_435_761u) % 1501);
        static long EntryOf(int size) => ((size + 7) & ~7) + 8;
        long inFlightLimit = IntNetOpenOptions.DefaultReceiveRingSize / 2;

        var received = new long[2];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Task Send(IntNetInterface from, byte[] destination, byte[] source, int reader) => Task.Run(() =>
        {
            long sent = 0;
            for (int i = 0; i < Frames; i++)
            {
                int size = SizeOf(i);
                long deadline = Environment.TickCount64 + 20_000;
                while (sent + EntryOf(size) - Volatile.Read(ref received[reader]) > inFlightLimit)
                {
                    if (Environment.TickCount64 > deadline)
                    {
                        failures.Enqueue($"sender to {reader}: the reader stopped at {Volatile.Read(ref received[reader])} bytes");
                        return;
                    }

                    Thread.Yield();
                }

                from.Send(Pattern(destination, source, i, size));
                sent += EntryOf(size);
            }
        });
        Task Read(IntNetInterface at, byte[] destination, byte[] source, int reader) => Task.Run(() =>
        {
            byte[] buffer = new byte[70_000];
            for (int i = 0; i < Frames; i++)
            {
                int length = at.Receive(buffer, TimeSpan.FromSeconds(20));
                if (length == 0)
                {
                    failures.Enqueue($"reader {reader}: nothing came for 20 s after {i} frames");
                    return;
                }

                if (!buffer.AsSpan(0, length).SequenceEqual(Pattern(destination, source, i, SizeOf(i))))
                {
                    failures.Enqueue($"reader {reader}: frame {i} is {length} bytes, {SizeOf(i)} expected, or its bytes differ");
                    return;
                }

                Interlocked.Add(ref received[reader], EntryOf(length));
            }
        });

        await Task.WhenAll(
            Send(a, MacB, MacA, reader: 1),
            Send(b, MacA, MacB, reader: 0),
            Read(b, MacB, MacA, reader: 1),
            Read(a, MacA, MacB, reader: 0)).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Empty(failures);
        foreach (IntNetInterface nic in new[] { a, b })
        {
            IntNetCounters counters = nic.Counters;
            Assert.Equal(0ul, counters.Lost);
            Assert.Equal(0ul, counters.BadFrames);
            Assert.Equal((ulong)Frames, counters.FramesReceived);
            Assert.Equal((ulong)Frames, counters.FramesSent);
            Assert.True(counters.ReceiveSleeps > 0, "the readers never slept: the wake-up path was not exercised");
        }
    }

    private static string NewName() => $"cli-{Guid.NewGuid().ToString("N")[..10]}";

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static byte[] Frame(byte[] destination, byte[] source, int size, byte tag)
    {
        byte[] frame = new byte[size];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        for (int i = 14; i < size; i++)
        {
            frame[i] = (byte)(tag ^ i);
        }

        return frame;
    }

    /// <summary>The frames of the sweep, as the peer makes and checks them (test data both sides agree on).</summary>
    private static byte[] Pattern(byte[] destination, byte[] source, int sequence, int size)
    {
        byte[] frame = new byte[size];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        for (int i = 14; i < size; i++)
        {
            frame[i] = (byte)((sequence * 131) + (size * 7) + (i * 13) + (i >> 8));
        }

        return frame;
    }

    /// <summary>The test peer's <c>intnet-peer</c> command: one request line, one answer line.</summary>
    private sealed class IntNetPeerProcess : IDisposable
    {
        private readonly Process _process;

        public IntNetPeerProcess(Daemon daemon, string network) => (_process, _) = Tool.StartHoldingPeer("intnet-peer", daemon.RunDir, network);

        public void Tell(string line)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }

        public string ReadLine()
        {
            Task<string?> line = _process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("the test peer did not answer within 60 s");
            }

            return line.Result ?? throw new InvalidOperationException($"the test peer ended (exit {(_process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "-")})");
        }

        public string Ask(string line)
        {
            Tell(line);
            return ReadLine();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(20_000))
                {
                    _process.Kill();
                }
            }

            _process.Dispose();
        }
    }
}
