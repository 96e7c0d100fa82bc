using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

public class HandshakeTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private readonly string _socket = Path.Combine(fixture.Daemon.RunDir, ProtocolConstants.FullSocketName);

    [Theory]
    [InlineData(1, 0, SupStatus.Success, null)]
    [InlineData(1, 1, SupStatus.VersionMismatch, "version mismatch: server 1.0, client needs 1.1")]
    [InlineData(2, 0, SupStatus.VersionMismatch, "version mismatch: server 1.0, client needs 2.0")]
    [InlineData(0, 9, SupStatus.VersionMismatch, "version mismatch: server 1.0, client needs 0.9")]
    public void Same_major_and_no_newer_minor_is_accepted(int major, int minor, SupStatus expected, string? message)
    {
        using var raw = new RawSession(_socket);
        RawSession.Reply reply = raw.Handshake((uint)((major << 16) | minor));
        Assert.Equal(expected, reply.Status);
        if (message is null)
        {
            CookieReply cookie = CookieReply.Read(reply.Payload);
            Assert.NotEqual(0ul, cookie.Cookie);
            Assert.Equal(ProtocolConstants.Version, cookie.ServerVersion);
            Assert.False(cookie.Restricted);
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
        Assert.Contains("server 1.0, client needs 1.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_magic_string_is_refused()
    {
        using var raw = new RawSession(_socket);
        RawSession.Reply reply = raw.Exchange(RawSession.Request(0, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version, "The Magic Word!"), CookieReply.Size));
        Assert.Equal(SupStatus.InvalidMagic, reply.Status);
        Assert.Contains("'The Magic Word!'", reply.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_request_before_the_handshake_is_refused_and_the_handshake_happens_once()
    {
        using var raw = new RawSession(_socket);
        RawSession.Reply early = raw.Exchange(RawSession.Request(0, SupFunction.Nop, [], 0));
        Assert.Equal(SupStatus.HandshakeRequired, early.Status);

        RawSession.Reply withCookie = raw.Exchange(RawSession.Request(42, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version), CookieReply.Size));
        Assert.Equal(SupStatus.InvalidCookie, withCookie.Status);

        Assert.Equal(SupStatus.Success, raw.Handshake().Status);
        RawSession.Reply again = raw.Exchange(RawSession.Request(raw.Cookie, SupFunction.Cookie, RawSession.CookiePayload(ProtocolConstants.Version), CookieReply.Size));
        Assert.Equal(SupStatus.AlreadyHandshaken, again.Status);
        Assert.Equal(SupStatus.Success, raw.Call(SupFunction.Nop, [], 0).Status);
    }

    [Fact]
    public void Cookies_are_random_per_session_and_bind_requests_to_their_session()
    {
        using var a = new RawSession(_socket);
        using var b = new RawSession(_socket);
        a.Handshake();
        b.Handshake();
        Assert.NotEqual(a.Cookie, b.Cookie);

        // Session a's cookie on session b's connection, and a guessed neighbour, are refused.
        Assert.Equal(SupStatus.InvalidCookie, b.Exchange(RawSession.Request(a.Cookie, SupFunction.Nop, [], 0)).Status);
        Assert.Equal(SupStatus.InvalidCookie, a.Exchange(RawSession.Request(a.Cookie + 1, SupFunction.Nop, [], 0)).Status);
        Assert.Equal(SupStatus.Success, a.Call(SupFunction.Nop, [], 0).Status);
    }
}
