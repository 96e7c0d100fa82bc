using System.Buffers.Binary;
using System.Net.Sockets;

namespace Supd.Tests;

/// <summary>
/// A stand-in for QEMU's side of <c>-netdev stream</c> and <c>-netdev dgram</c> over Unix sockets:
/// frames behind their 4-byte big-endian length on a stream, one frame a datagram. The tests use it
/// to speak to the switch exactly (split writes, bad lengths, a peer that stops reading).
/// </summary>
internal static class QemuPeer
{
    /// <summary>An Ethernet frame of <paramref name="length"/> bytes from <paramref name="source"/> to <paramref name="destination"/>, its payload numbered by <paramref name="seed"/>.</summary>
    public static byte[] Frame(byte[] destination, byte[] source, int length, int seed)
    {
        byte[] frame = new byte[length];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5; // IEEE 802 local experimental EtherType
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)((i * 7) + seed);
        }

        return frame;
    }

    public static byte[] Framed(params byte[][] frames)
    {
        byte[] stream = new byte[frames.Sum(f => 4 + f.Length)];
        int at = 0;
        foreach (byte[] frame in frames)
        {
            BinaryPrimitives.WriteUInt32BigEndian(stream.AsSpan(at), (uint)frame.Length);
            frame.CopyTo(stream, at + 4);
            at += 4 + frame.Length;
        }

        return stream;
    }

    public static Socket ConnectStream(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    public static Socket BindDatagram(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>Reads one length-prefixed frame from a stream, within <paramref name="timeout"/>; null when the stream ended.</summary>
    public static byte[]? ReadFrame(Socket socket, TimeSpan timeout)
    {
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        byte[] header = new byte[4];
        if (!ReadExactly(socket, header))
        {
            return null;
        }

        byte[] frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        return ReadExactly(socket, frame) ? frame : throw new InvalidOperationException("the stream ended inside a frame");
    }

    /// <summary>Whether the peer closed the stream (a read of 0) within <paramref name="timeout"/>; data before the end is skipped.</summary>
    public static bool Ended(Socket socket, TimeSpan timeout)
    {
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        byte[] buffer = new byte[4096];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }

            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private static bool ReadExactly(Socket socket, byte[] buffer)
    {
        int at = 0;
        while (at < buffer.Length)
        {
            int read = socket.Receive(buffer, at, buffer.Length - at, SocketFlags.None);
            if (read == 0)
            {
                return false;
            }

            at += read;
        }

        return true;
    }
}
