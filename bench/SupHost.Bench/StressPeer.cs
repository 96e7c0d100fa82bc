using System.Net.Sockets;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench;

/// <summary>
/// The hostile side of the stress scenario, run as another user in a child process
/// (<c>SupHost.Bench --stress-peer MODE RUNDIR COUNT [BYTES]</c>). It prints one line, "held N",
/// once it holds what it could get, then holds it until its standard input closes.
/// </summary>
/// <remarks>
/// Modes: <c>idle</c> opens COUNT connections and says nothing on them (no handshake);
/// <c>oversized</c> does the same but sends one datagram of BYTES on each, which the daemon must
/// refuse without keeping a buffer of that size per connection; <c>pages</c> allocates shared
/// pages in allocations of COUNT pages until the daemon refuses, and reports the pages it holds;
/// <c>locked</c> does the same with locked pages.
/// </remarks>
internal static class StressPeer
{
    public static int Run(string[] args)
    {
        string mode = args[1];
        string runDir = args[2];
        int count = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        int bytes = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 0;
        var held = new List<IDisposable>();
        long total = mode switch
        {
            "idle" or "oversized" => Connections(Path.Combine(runDir, ProtocolConstants.RestrictedSocketName), count, bytes, held),
            "pages" or "locked" => Pages(runDir, count, lockPages: mode == "locked", held),
            _ => throw new ArgumentException($"unknown stress mode '{mode}'", nameof(args)),
        };

        Console.WriteLine($"held {total}");
        Console.Out.Flush();
        _ = Console.In.ReadToEnd();
        foreach (IDisposable item in held)
        {
            item.Dispose();
        }

        return 0;
    }

    private static long Connections(string path, int count, int bytes, List<IDisposable> held)
    {
        byte[] datagram = new byte[bytes];
        long connected = 0;
        for (int i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                if (bytes > 0)
                {
                    socket.SendBufferSize = bytes + 4096;
                    socket.Blocking = false;
                    _ = socket.Send(datagram, SocketFlags.None, out _);
                }

                held.Add(socket);
                connected++;
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }

        return connected;
    }

    private static long Pages(string runDir, int pagesPerAllocation, bool lockPages, List<IDisposable> held)
    {
        // One session stops at its own limit; a user who wants everything opens more sessions,
        // until the daemon refuses for a reason other than the session's limit.
        long pages = 0;
        for (int session = 0; session < 64; session++)
        {
            SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            held.Add(client);
            while (true)
            {
                try
                {
                    SharedMemory memory = client.AllocatePages((uint)pagesPerAllocation);
                    held.Add(memory);
                    if (lockPages)
                    {
                        memory.Lock();
                    }

                    pages += pagesPerAllocation;
                }
                catch (SupException ex) when (ex.Status is SupStatus.LimitReached or SupStatus.InvalidParameter)
                {
                    if (!ex.Message.Contains("the session holds", StringComparison.Ordinal))
                    {
                        return pages;
                    }

                    break;
                }
            }
        }

        return pages;
    }
}
