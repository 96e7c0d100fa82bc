using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using CsCheck;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// A property run over the request decoder and every function's payload, against the real daemon
/// over its real socket: whatever datagram a session sends, the daemon answers it with a well-formed
/// reply (same function and sequence once the header could be read, a message on every error),
/// never hangs, never drops the connection, and once the sessions are gone it holds nothing.
/// Datagrams are built from the function table (sizes at, around and far from each function's
/// bounds), with payloads that reuse handles and names the daemon gave out, and with header fields
/// mutated. CI runs it for <c>SUPHOST_FUZZ_SECONDS</c> (15 by default); a longer run is the same
/// test with a larger value.
/// </summary>
public sealed class FuzzTests
{
    private static readonly string[] s_names = ["sample-echo", "sample-registry", "Echo", "EchoDescriptors", "Nop", "Signal", "Time", "fuzz", "VBoxNetFlt", string.Empty, new string('x', 63)];
    private static readonly FunctionSpec[] s_specs = [.. FunctionSpec.All];

    [Fact]
    public void Every_datagram_gets_a_well_formed_reply_and_nothing_is_left_behind()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("SUPHOST_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out int s) && s > 0 ? s : 15;
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxObjectsPerSession": 256, "MaxPagesPerSession": 4096, "MaxDescriptorsPerSession": 128 } }""");
        using SupClient probe = daemon.Connect();
        int baselineFds = daemon.FdCount();
        long rssBefore = daemon.ResidentKiB();
        long requests = 0;
        var sessions = new List<FuzzSession>();
        FuzzSession NewSession()
        {
            var session = new FuzzSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName));
            lock (sessions)
            {
                sessions.Add(session);
            }

            return session;
        }

        var local = new ThreadLocal<FuzzSession>(NewSession);

        // The first failure is kept with the datagram that caused it; the daemon's state is outside
        // the generator, so shrinking (re-running smaller cases on a session that failed) would
        // only report the aftermath.
        string? failure = null;
        var clock = Stopwatch.StartNew();
        try
        {
            Generator().Sample(
                fuzz =>
                {
                    if (Volatile.Read(ref failure) is not null)
                    {
                        return;
                    }

                    try
                    {
                        // A session that has sent its share walks away holding whatever it made,
                        // as a killed client would, and a new one takes its place.
                        if (local.Value!.Worn)
                        {
                            local.Value.Dispose();
                            local.Value = NewSession();
                        }

                        local.Value.Check(fuzz);
                        Interlocked.Increment(ref requests);
                    }
                    catch (Exception ex) when (ex is Xunit.Sdk.XunitException or NativeException)
                    {
                        Interlocked.CompareExchange(ref failure, $"{fuzz}: {ex.Message}", null);
                    }
                },
                iter: long.MaxValue,
                time: seconds,
                threads: 2,
                print: f => f.ToString());
        }
        finally
        {
            foreach (FuzzSession session in sessions)
            {
                session.Dispose();
            }

            local.Dispose();
        }

        Assert.True(failure is null, $"after {requests} requests: {failure}\n{daemon.Output[^Math.Min(daemon.Output.Length, 4000)..]}");
        double rate = requests / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"fuzz: {requests} requests in {clock.Elapsed.TotalSeconds:F1} s ({rate:F0}/s), {sessions.Count} sessions");

        // The daemon lives, serves a fresh session, and holds nothing for the fuzzing sessions.
        Assert.False(daemon.Process.HasExited, daemon.Output);
        using (SupClient fresh = daemon.Connect())
        {
            fresh.Nop();
        }

        Poll.Until(() => probe.QueryStatus().ObjectsByType.Values.Sum() == 0 && probe.QueryStatus().DescriptorsHeld == 0, () => $"the fuzzing sessions' objects to go; the daemon holds {string.Join(", ", probe.QueryStatus().ObjectsByType)}");
        Poll.Until(() => daemon.FdCount() <= baselineFds, () => $"the daemon's descriptors to return to {baselineFds}; it has {daemon.FdCount()}: {daemon.FdTargets()}");
        Assert.True(requests > 1000, $"only {requests} requests were sent");

        // The footprint once everything is released and the daemon has settled (a figure, not a
        // bar: see bench stress).
        long settles = probe.QueryStatus().FootprintSettles;
        using (daemon.Connect())
        {
        }

        Poll.Until(() => probe.QueryStatus().FootprintSettles > settles, "the daemon to settle its memory after the last session ended");
        Console.WriteLine($"fuzz: daemon RSS {rssBefore} KiB before, {daemon.ResidentKiB()} KiB after the sessions ended");
    }

    /// <summary>One fuzzed datagram: a function with sizes, a payload recipe and mutations.</summary>
    private static Gen<Fuzz> Generator() =>
        Gen.Select(Gen.Int[0, 99], Gen.Int[0, s_specs.Length - 1], Gen.UInt, Gen.Int[0, 99], Gen.Int[-8, 8], Gen.Byte.Array[0, 256], Gen.Int[0, 99], Gen.Int[0, int.MaxValue])
            .Select(t => new Fuzz(t.Item1 < 90 ? s_specs[t.Item2].Function : (SupFunction)(t.Item3 % 128), t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

    private sealed record Fuzz(SupFunction Function, int SizeChoice, int SizeSkew, byte[] Noise, int Mutation, int Seed)
    {
        public override string ToString() => $"{Function} size choice {SizeChoice} skew {SizeSkew} mutation {Mutation} seed {Seed} noise {Convert.ToHexString(Noise)}";
    }

    /// <summary>A handshaken session sending fuzzed datagrams and checking each reply.</summary>
    private sealed class FuzzSession : IDisposable
    {
        private readonly SafeFd _fd;
        private readonly List<ulong> _handles = [];
        private readonly byte[] _reply = new byte[ProtocolConstants.HeaderSize + (2 << 20)];
        private readonly List<SafeFd> _fds = [];
        private readonly ulong _cookie;
        private uint _sequence;

        public FuzzSession(string path)
        {
            _fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
            Libc.Connect(_fd, path);
            Libc.SetReceiveTimeout(_fd, TimeSpan.FromSeconds(20));
            byte[] input = new byte[CookieRequest.Size];
            new CookieRequest(ProtocolConstants.CookieMagic, ProtocolConstants.Version).Write(input);
            byte[] datagram = new byte[ProtocolConstants.HeaderSize + input.Length];
            MessageHeader.ForRequest(0, SupFunction.Cookie, input.Length, CookieReply.Size, 0).Write(datagram);
            input.CopyTo(datagram, ProtocolConstants.HeaderSize);
            (MessageHeader header, int length) = Exchange(datagram);
            Assert.Equal(SupStatus.Success, header.Status);
            _cookie = CookieReply.Read(_reply.AsSpan(ProtocolConstants.HeaderSize, length - ProtocolConstants.HeaderSize)).Cookie;
        }

        public bool Worn => _sequence >= 20_000;

        public void Check(Fuzz fuzz)
        {
            var random = new Random(fuzz.Seed);
            uint sequence = ++_sequence;
            byte[] datagram = Build(fuzz, random, sequence);
            (MessageHeader reply, int length) = Exchange(datagram);

            // A reply says which request it answers once the request's header could be read.
            if (datagram.Length >= ProtocolConstants.HeaderSize)
            {
                MessageHeader sent = MessageHeader.Read(datagram);
                Assert.True(reply.Function == sent.Function, $"reply to {sent.Function} says {reply.Function}");
                Assert.True(reply.Sequence == sent.Sequence, $"reply to sequence {sent.Sequence} says {reply.Sequence}");
            }

            if (reply.Status.IsError())
            {
                Assert.True((reply.Flags & HeaderFlags.Message) != HeaderFlags.None, $"error {reply.Status} without a message");
                Assert.True(length > ProtocolConstants.HeaderSize, $"error {reply.Status} with an empty message");
                _ = Encoding.UTF8.GetString(_reply, ProtocolConstants.HeaderSize, length - ProtocolConstants.HeaderSize);
            }
            else if (length >= ProtocolConstants.HeaderSize + sizeof(ulong) && _handles.Count < 64)
            {
                // Whatever a success returned first may be a handle: later payloads reuse it.
                _handles.Add(BinaryPrimitives.ReadUInt64LittleEndian(_reply.AsSpan(ProtocolConstants.HeaderSize)));
            }
        }

        public void Dispose()
        {
            foreach (SafeFd fd in _fds)
            {
                fd.Dispose();
            }

            _fd.Dispose();
        }

        private byte[] Build(Fuzz fuzz, Random random, uint sequence)
        {
            FunctionSpec? spec = FunctionSpec.Get(fuzz.Function);
            int min = spec?.MinInput ?? 0;
            int max = spec is null ? 64 : Math.Min(spec.MaxInput, 8192);
            int input = fuzz.SizeChoice switch
            {
                < 60 => min,
                < 80 => random.Next(min, max + 1),
                < 95 => Math.Max(0, min + fuzz.SizeSkew),
                _ => random.Next(0, 70_000),
            };
            int output = spec is null ? random.Next(0, 4096) : fuzz.SizeChoice switch
            {
                < 70 => spec.VariableOutput ? random.Next(spec.Output, 1 << 20) : spec.Output,
                < 90 => Math.Max(0, spec.Output + fuzz.SizeSkew),
                _ => random.Next(0, 1 << 24),
            };

            byte[] datagram = new byte[ProtocolConstants.HeaderSize + input];
            MessageHeader.ForRequest(_cookie, fuzz.Function, input, output, sequence).Write(datagram);
            Span<byte> payload = datagram.AsSpan(ProtocolConstants.HeaderSize);
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] = fuzz.Noise.Length == 0 ? (byte)0 : fuzz.Noise[i % fuzz.Noise.Length];
            }

            // Structure that reaches past the first checks: zeroed reserved words, small counts,
            // handles the daemon gave out, names it knows.
            if (random.Next(2) == 0)
            {
                payload[Math.Min(payload.Length, 8)..].Clear();
                for (int offset = 8; offset + 4 <= payload.Length && offset < 32; offset += 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(payload[offset..], (uint)random.Next(0, 17) * (random.Next(4) == 0 ? 4096u : 1u));
                }
            }

            if (payload.Length >= 8 && _handles.Count > 0 && random.Next(2) == 0)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(payload, _handles[random.Next(_handles.Count)]);
            }

            if (random.Next(3) == 0)
            {
                int at = payload.Length >= 72 && random.Next(2) == 0 ? 8 : 0;
                byte[] name = Encoding.UTF8.GetBytes(s_names[random.Next(s_names.Length)]);
                if (payload.Length >= at + ProtocolConstants.NameFieldSize)
                {
                    payload.Slice(at, ProtocolConstants.NameFieldSize).Clear();
                    name.AsSpan(0, Math.Min(name.Length, ProtocolConstants.NameFieldSize - 1)).CopyTo(payload[at..]);
                }
            }

            // Header mutations: a flipped bit anywhere in the header but the cookie (a wrong
            // cookie is one case, tested elsewhere), or a datagram cut short.
            if (fuzz.Mutation < 10)
            {
                int bit = random.Next(ProtocolConstants.HeaderSize * 8);
                if (bit / 8 is < 8 or >= 16)
                {
                    datagram[bit / 8] ^= (byte)(1 << (bit % 8));
                }
            }
            else if (fuzz.Mutation < 13)
            {
                return datagram[..random.Next(0, ProtocolConstants.HeaderSize)];
            }

            return datagram;
        }

        private unsafe (MessageHeader Header, int Length) Exchange(byte[] datagram)
        {
            fixed (byte* p = datagram)
            {
                Errno sent = Libc.SendMessage(_fd, p, datagram.Length);
                Assert.True(sent == Errno.None, $"sending {datagram.Length} bytes failed: {sent}");
            }

            ReceiveResult received;
            fixed (byte* p = _reply)
            {
                received = Libc.ReceiveMessage(_fd, p, _reply.Length, _fds);
            }

            Assert.True(received.Error == Errno.None, $"no reply to a {datagram.Length}-byte datagram: {received.Error}");
            Assert.True(received.Length >= ProtocolConstants.HeaderSize, $"the daemon closed the connection (or sent {received.Length} bytes) after a {datagram.Length}-byte datagram");
            Assert.False(received.Truncated, "the reply was larger than the largest reply the protocol allows");
            MessageHeader header = MessageHeader.Read(_reply);
            Assert.Equal(ProtocolConstants.HeaderMagic, header.Magic);
            Assert.True((header.Flags & HeaderFlags.Reply) != HeaderFlags.None, "a reply without the reply flag");
            Assert.Equal((uint)(received.Length - ProtocolConstants.HeaderSize), header.InputSize);

            // Descriptors that came back (pages, events, the GIP) are kept until the end, as a
            // careless client would, and closed then.
            return (header, received.Length);
        }
    }
}
