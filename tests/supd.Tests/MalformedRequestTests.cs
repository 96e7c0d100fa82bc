using System.Buffers.Binary;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

public sealed class MalformedRequestTests : IClassFixture<SmallLimitDaemonFixture>, IDisposable
{
    private const int Limit = SmallLimitDaemonFixture.Limit;
    private readonly Daemon _daemon;
    private readonly RawSession _raw;

    public MalformedRequestTests(SmallLimitDaemonFixture fixture)
    {
        _daemon = fixture.Daemon;
        _raw = new RawSession(Path.Combine(_daemon.RunDir, ProtocolConstants.FullSocketName));
        Assert.Equal(SupStatus.Success, _raw.Handshake().Status);
    }

    public static TheoryData<string, SupStatus, string> Cases => new()
    {
        { "short", SupStatus.InvalidSize, "datagram of 10 bytes is shorter than the 40-byte header" },
        { "magic", SupStatus.InvalidMagic, "header magic 0x" },
        { "flags", SupStatus.InvalidFlags, "request flags 0x00000100" },
        { "reserved", SupStatus.InvalidParameter, "reserved header fields must be zero" },
        { "input-size", SupStatus.InvalidSize, "header says 4 input bytes; the datagram carries 0" },
        { "output-limit", SupStatus.InvalidSize, $"output size {Limit} exceeds the limit {Limit - ProtocolConstants.HeaderSize}" },
        { "cookie", SupStatus.InvalidCookie, "does not match" },
        { "function", SupStatus.UnknownFunction, "function 4242 is unknown" },
        { "function-input", SupStatus.InvalidSize, "Nop takes 0 input bytes, not 8" },
        { "function-output", SupStatus.InvalidSize, "ObjectRegister returns 8 output bytes; the request allows 16" },
        { "variable-output", SupStatus.InvalidSize, "ListObjects needs an output size of at least 64, not 10" },
        { "too-large", SupStatus.RequestTooLarge, $"datagram of {Limit + 100} bytes exceeds the limit {Limit}" },
        { "bad-name", SupStatus.InvalidName, "not NUL-terminated" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_malformed_request_gets_its_status_and_the_daemon_keeps_serving(string kind, SupStatus expected, string message)
    {
        RawSession.Reply reply = _raw.Exchange(Build(kind));
        Assert.Equal(expected, reply.Status);
        Assert.Contains(message, reply.Message, StringComparison.Ordinal);

        // The same session and a new one both go on.
        Assert.Equal(SupStatus.Success, _raw.Call(SupFunction.Nop, [], 0).Status);
        using var client = _daemon.Connect();
        client.Nop();
    }

    public static TheoryData<string, SupStatus> HeaderCases => new()
    {
        { "short", SupStatus.InvalidSize },
        { "magic", SupStatus.InvalidMagic },
        { "flags", SupStatus.InvalidFlags },
        { "reserved", SupStatus.InvalidParameter },
        { "input-size", SupStatus.InvalidSize },
        { "cookie", SupStatus.InvalidCookie },
        { "function", SupStatus.UnknownFunction },
        { "function-input", SupStatus.InvalidSize },
        { "too-large", SupStatus.RequestTooLarge },
    };

    [Theory]
    [MemberData(nameof(HeaderCases))]
    public void The_restricted_endpoint_checks_headers_the_same_way(string kind, SupStatus expected)
    {
        using var restricted = new RawSession(Path.Combine(_daemon.RunDir, ProtocolConstants.RestrictedSocketName));
        Assert.Equal(SupStatus.Success, restricted.Handshake().Status);
        Assert.Equal(expected, restricted.Exchange(Build(kind, restricted.Cookie)).Status);
        Assert.Equal(SupStatus.Success, restricted.Call(SupFunction.Nop, [], 0).Status);
    }

    [Fact]
    public void Descriptors_sent_to_a_function_that_takes_none_are_closed_and_refused()
    {
        // The sessions of earlier tests on this daemon close their sockets as they end: count
        // descriptors once only this test's session is left (a connection's socket is closed
        // before its session leaves the count).
        Poll.Until(() => OpenSessions() == 1, () => $"{OpenSessions()} sessions to end, leaving this one");
        int before = _daemon.FdCount();
        (SafeFd a, SafeFd b) = Libc.SocketPair(Libc.SOCK_STREAM);
        using (a)
        using (b)
        {
            for (int i = 0; i < 20; i++)
            {
                RawSession.Reply reply = _raw.Exchange(RawSession.Request(_raw.Cookie, SupFunction.Nop, [], 0, 100), [a, b]);
                Assert.Equal(SupStatus.InvalidParameter, reply.Status);
                Assert.Contains("takes no file descriptors", reply.Message, StringComparison.Ordinal);
            }
        }

        Assert.Equal(before, _daemon.FdCount());
    }

    [Fact]
    public void An_empty_datagram_is_answered_and_the_session_lives_on()
    {
        // SOCK_SEQPACKET reads an empty datagram as 0 bytes, as it reads the end of the
        // connection; the daemon tells them apart by the peer's hang-up.
        using var other = _daemon.Connect();
        using var probe = new RawSession(Path.Combine(_daemon.RunDir, ProtocolConstants.FullSocketName));
        probe.Handshake();
        probe.Send([]);
        RawSession.Reply? reply = probe.Receive();
        Assert.NotNull(reply);
        Assert.Equal(SupStatus.InvalidSize, reply.Status);
        Assert.Contains("0 bytes", reply.Message, StringComparison.Ordinal);
        Assert.Equal(SupStatus.Success, probe.Call(SupFunction.Nop, [], 0).Status);

        other.Nop();
        Assert.Equal(SupStatus.Success, _raw.Call(SupFunction.Nop, [], 0).Status);
    }

    public void Dispose() => _raw.Dispose();

    private int OpenSessions() => System.Text.Json.JsonDocument.Parse(_raw.Call(SupFunction.QueryStatus, [], Limit - ProtocolConstants.HeaderSize).Payload)
        .RootElement.GetProperty("sessions").GetInt32();

    private byte[] Build(string kind) => Build(kind, _raw.Cookie);

    private static byte[] Build(string kind, ulong cookie)
    {
        byte[] nop = RawSession.Request(cookie, SupFunction.Nop, [], 0, 7);
        switch (kind)
        {
            case "short":
                return nop[..10];
            case "magic":
                BinaryPrimitives.WriteUInt32LittleEndian(nop, 0x12345678);
                return nop;
            case "flags":
                BinaryPrimitives.WriteUInt32LittleEndian(nop.AsSpan(4), 0x100);
                return nop;
            case "reserved":
                BinaryPrimitives.WriteUInt32LittleEndian(nop.AsSpan(36), 1);
                return nop;
            case "input-size":
                BinaryPrimitives.WriteUInt32LittleEndian(nop.AsSpan(20), 4);
                return nop;
            case "output-limit":
                return RawSession.Request(cookie, SupFunction.ListObjects, [], Limit);
            case "cookie":
                return RawSession.Request(cookie ^ 0x8000, SupFunction.Nop, [], 0);
            case "function":
                return RawSession.Request(cookie, (SupFunction)4242, [], 0);
            case "function-input":
                return RawSession.Request(cookie, SupFunction.Nop, new byte[8], 0);
            case "function-output":
                return RawSession.Request(cookie, SupFunction.ObjectRegister, new byte[ObjectRegisterRequest.Size], 16);
            case "variable-output":
                return RawSession.Request(cookie, SupFunction.ListObjects, [], 10);
            case "too-large":
                return RawSession.Request(cookie, SupFunction.Nop, new byte[Limit + 100 - ProtocolConstants.HeaderSize], 0);
            case "bad-name":
                byte[] open = new byte[ObjectOpenRequest.Size];
                BinaryPrimitives.WriteUInt32LittleEndian(open, (uint)ObjectTypeId.Vm);
                open.AsSpan(8).Fill((byte)'x');
                return RawSession.Request(cookie, SupFunction.ObjectOpen, open, HandleReply.Size);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
