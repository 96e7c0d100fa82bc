using System.Text;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>A connection that speaks the wire protocol byte by byte, to send what no client library would.</summary>
public sealed class RawSession : IDisposable
{
    private readonly SafeFd _fd;
    private uint _sequence;

    public RawSession(string socketPath)
    {
        _fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        Libc.Connect(_fd, socketPath);
        Libc.SetReceiveTimeout(_fd, TimeSpan.FromSeconds(30));
    }

    public ulong Cookie { get; private set; }

    public static byte[] Request(ulong cookie, SupFunction function, ReadOnlySpan<byte> input, int outputSize, uint sequence = 1)
    {
        byte[] datagram = new byte[ProtocolConstants.HeaderSize + input.Length];
        MessageHeader.ForRequest(cookie, function, input.Length, outputSize, sequence).Write(datagram);
        input.CopyTo(datagram.AsSpan(ProtocolConstants.HeaderSize));
        return datagram;
    }

    public static byte[] CookiePayload(uint version, string magic = ProtocolConstants.CookieMagic)
    {
        byte[] input = new byte[CookieRequest.Size];
        new CookieRequest(magic, version).Write(input);
        return input;
    }

    /// <summary>Does the handshake; returns the reply.</summary>
    public Reply Handshake(uint version = ProtocolConstants.Version)
    {
        Reply reply = Exchange(Request(0, SupFunction.Cookie, CookiePayload(version), CookieReply.Size));
        if (reply.Header.Status == SupStatus.Success)
        {
            Cookie = CookieReply.Read(reply.Payload).Cookie;
        }

        return reply;
    }

    /// <summary>Sends a request with this session's cookie.</summary>
    public Reply Call(SupFunction function, ReadOnlySpan<byte> input, int outputSize) =>
        Exchange(Request(Cookie, function, input, outputSize, ++_sequence));

    public unsafe void Send(byte[] datagram, SafeFd[]? fds = null)
    {
        fixed (byte* p = datagram)
        {
            Errno sent = Libc.SendMessage(_fd, p, datagram.Length, fds ?? []);
            Assert.Equal(Errno.None, sent);
        }
    }

    public Reply Exchange(byte[] datagram, SafeFd[]? fds = null)
    {
        Send(datagram, fds);
        return Receive() ?? throw new InvalidOperationException("the daemon closed the connection instead of replying");
    }

    /// <summary>The next reply, or null when the daemon closed the connection.</summary>
    public unsafe Reply? Receive()
    {
        byte[] buffer = new byte[ProtocolConstants.HeaderSize + (1 << 20)];
        ReceiveResult r;
        fixed (byte* p = buffer)
        {
            r = Libc.ReceiveMessage(_fd, p, buffer.Length);
        }

        Assert.Equal(Errno.None, r.Error);
        if (r.Length == 0)
        {
            return null;
        }

        var header = MessageHeader.Read(buffer);
        Assert.Equal(ProtocolConstants.HeaderMagic, header.Magic);
        Assert.True((header.Flags & HeaderFlags.Reply) != HeaderFlags.None);
        Assert.Equal((uint)(r.Length - ProtocolConstants.HeaderSize), header.InputSize);
        return new Reply(header, buffer.AsSpan(ProtocolConstants.HeaderSize, (int)header.InputSize).ToArray());
    }

    public void Dispose() => _fd.Dispose();

    public sealed record Reply(MessageHeader Header, byte[] Payload)
    {
        public SupStatus Status => Header.Status;

        public string Message => (Header.Flags & HeaderFlags.Message) != HeaderFlags.None ? Encoding.UTF8.GetString(Payload) : string.Empty;
    }
}
