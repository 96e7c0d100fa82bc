using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class HandshakeTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    public static TheoryData<string> Endpoints => new() { ProtocolConstants.FullSocketName, ProtocolConstants.RestrictedSocketName };

    public static TheoryData<string, int, int, SupStatus, string?> Versions
    {
        get
        {
            var data = new TheoryData<string, int, int, SupStatus, string?>();
            foreach (string socket in new[] { ProtocolConstants.FullSocketName, ProtocolConstants.RestrictedSocketName })
            {
                data.Add(socket, 1, 0, SupStatus.Success, null);
                data.Add(socket, 1, 1, SupStatus.Success, null);
                data.Add(socket, 1, 2, SupStatus.VersionMismatch, "version mismatch: server 1.1, client needs 1.2");
                data.Add(socket, 2, 0, SupStatus.VersionMismatch, "version mismatch: server 1.1, client needs 2.0");
                data.Add(socket, 0, 9, SupStatus.VersionMismatch, "version mismatch: server 1.1, client needs 0.9");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Same_major_and_no_newer_minor_is_accepted(string socket, int major, int minor, SupStatus expected, string? message)
    {
        using var raw = new RawSession(Path.Combine(fixture.Daemon.RunDir, socket));
        RawSession.Reply reply = raw.Handshake((uint)((major << 16) | minor));
        Assert.Equal(expected, reply.Status);
        if (message is null)
        {
            CookieReply cookie = CookieReply.Read(reply.Payload);
            Assert.NotEqual(0ul, cookie.Cookie);
            Assert.Equal(ProtocolConstants.Version, cookie.ServerVersion);
            Assert.Equal(socket == ProtocolConstants.RestrictedSocketName, cookie.Restricted);
        }
        else
        {
            Assert.Equal(message, reply.Message);

            // A refused handshake leaves the connection usable for a correct one.
            Assert.Equal(SupStatus.Success, raw.Handshake().Status);
        }
    }

    [Fact]
    public void The_client_library_reports_a_version_mismatch_with_both_versions()
    {
        var ex = Assert.Throws<SupException>(() => SupClient.Connect(new SupClientOptions
        {
            RunDirectory = fixture.Daemon.RunDir,
            RequestedVersion = (ProtocolConstants.VersionMajor << 16) | (ProtocolConstants.VersionMinor + 1u),
        }));
        Assert.Equal(SupStatus.VersionMismatch, ex.Status);
        Assert.Contains("server 1.1, client needs 1.2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void A_wrong_magic_string_is_refused(string socket)
    {
        string path = Path.Combine(fixture.Daemon.RunDir, socket);
        using var raw = new RawSession(path);
        RawSession.Reply reply = raw.Exchange(RawSession.Request(0, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version, "The Magic Word!"), CookieReply.Size));
        Assert.Equal(SupStatus.InvalidMagic, reply.Status);
        Assert.Contains("'The Magic Word!'", reply.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Every_request_before_the_handshake_is_refused_and_the_handshake_happens_once(string socket)
    {
        string path = Path.Combine(fixture.Daemon.RunDir, socket);
        using var raw = new RawSession(path);
        RawSession.Reply early = raw.Exchange(RawSession.Request(0, SupFunction.Nop, [], 0));
        Assert.Equal(SupStatus.HandshakeRequired, early.Status);

        RawSession.Reply withCookie = raw.Exchange(RawSession.Request(42, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version), CookieReply.Size));
        Assert.Equal(SupStatus.InvalidCookie, withCookie.Status);

        Assert.Equal(SupStatus.Success, raw.Handshake().Status);
        RawSession.Reply again = raw.Exchange(RawSession.Request(raw.Cookie, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version), CookieReply.Size));
        Assert.Equal(SupStatus.AlreadyHandshaken, again.Status);
        Assert.Equal(SupStatus.Success, raw.Call(SupFunction.Nop, [], 0).Status);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Cookies_are_random_per_session_and_bind_requests_to_their_session(string socket)
    {
        string path = Path.Combine(fixture.Daemon.RunDir, socket);
        using var a = new RawSession(path);
        using var b = new RawSession(path);
        a.Handshake();
        b.Handshake();
        Assert.NotEqual(a.Cookie, b.Cookie);

        // Session a's cookie on session b's connection, and a guessed neighbour, are refused.
        Assert.Equal(SupStatus.InvalidCookie, b.Exchange(RawSession.Request(a.Cookie, SupFunction.Nop, [], 0)).Status);
        Assert.Equal(SupStatus.InvalidCookie, a.Exchange(RawSession.Request(a.Cookie + 1, SupFunction.Nop, [], 0)).Status);
        Assert.Equal(SupStatus.Success, a.Call(SupFunction.Nop, [], 0).Status);
    }
}
