using System.Text;
using SupHost.Native;

namespace SupHost.Bench;

/// <summary>
/// The child process of the intnet-frames scenario (<c>--frames-peer SOCKET</c>): it connects to
/// the parent's SOCK_SEQPACKET socket and takes one set-up message per exchange: "switch RUNDIR
/// NETWORK" (open an interface there) or "floor" with the floor's three descriptors; answers
/// "ready", serves until a Stop frame, answers the count, and waits for the next set-up ("quit" ends).
/// </summary>
internal static class FramePeer
{
    public static unsafe int Run(string socketPath)
    {
        using SafeFd control = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        Libc.Connect(control, socketPath);
        byte[] buffer = new byte[4096];
        while (true)
        {
            var fds = new List<SafeFd>();
            string setup;
            fixed (byte* b = buffer)
            {
                ReceiveResult r = Libc.ReceiveMessage(control, b, buffer.Length, fds);
                if (r.Error != Errno.None || r.Length == 0)
                {
                    return 0;
                }

                setup = Encoding.UTF8.GetString(buffer, 0, r.Length);
            }

            string[] words = setup.Split(' ');
            IFramePort port;
            switch (words[0])
            {
                case "switch" when words.Length == 3:
                    port = new SwitchFramePort(words[1], words[2], FrameExchange.ChildMac);
                    break;
                case "floor" when fds.Count == 3:
                    port = RingFramePort.AttachChild(fds[0], fds[1], fds[2]);
                    break;
                case "quit":
                    return 0;
                default:
                    Console.Error.WriteLine($"frames peer: unknown set-up '{setup}' with {fds.Count} descriptors");
                    return 2;
            }

            using (port)
            {
                Say(control, "ready");
                long counted = FrameExchange.Serve(port);
                Say(control, counted.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    public static unsafe void Say(SafeFd control, string message, ReadOnlySpan<SafeFd> fds = default)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message);
        fixed (byte* b = bytes)
        {
            Errno error = Libc.SendMessage(control, b, bytes.Length, fds);
            if (error != Errno.None)
            {
                throw new IOException($"frames peer: sending '{message}' failed: {error}");
            }
        }
    }

    public static unsafe string Hear(SafeFd control)
    {
        byte[] buffer = new byte[256];
        fixed (byte* b = buffer)
        {
            ReceiveResult r = Libc.ReceiveMessage(control, b, buffer.Length);
            if (r.Error != Errno.None || r.Length == 0)
            {
                throw new IOException($"the frames peer went away ({r.Error})");
            }

            return Encoding.UTF8.GetString(buffer, 0, r.Length);
        }
    }
}
