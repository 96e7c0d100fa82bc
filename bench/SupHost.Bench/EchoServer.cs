using SupHost.Native;

namespace SupHost.Bench;

/// <summary>
/// The C# floor of the roundtrip scenario: a process that echoes every SOCK_SEQPACKET message with
/// blocking calls, the same calls supd makes, and nothing else.
/// </summary>
internal static class EchoServer
{
    public static unsafe int Run(string path)
    {
        using SafeFd listener = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        Libc.Bind(listener, path);
        Libc.Listen(listener, 1);
        Console.WriteLine("listening");
        Console.Out.Flush();
        using SafeFd connection = Libc.Accept(listener);
        byte* buffer = stackalloc byte[65536];
        while (true)
        {
            ReceiveResult r = Libc.ReceiveMessage(connection, buffer, 65536);
            if (r.Error != Errno.None || r.Length == 0)
            {
                return 0;
            }

            if (Libc.SendMessage(connection, buffer, r.Length) != Errno.None)
            {
                return 1;
            }
        }
    }

    /// <summary>A client of the echo server: connect and ping-pong messages of one size.</summary>
    public sealed unsafe class Client : IDisposable
    {
        private readonly SafeFd _fd;
        private readonly byte[] _message;
        private readonly byte[] _reply = new byte[65536];

        public Client(string path, int size)
        {
            _fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
            Libc.Connect(_fd, path);
            _message = new byte[size];
        }

        public void RoundTrip()
        {
            fixed (byte* m = _message)
            fixed (byte* r = _reply)
            {
                Libc.SendMessage(_fd, m, _message.Length);
                Libc.ReceiveMessage(_fd, r, _reply.Length);
            }
        }

        public void Dispose() => _fd.Dispose();
    }
}
