using System.Globalization;
using System.Net.NetworkInformation;
using SupHost.Client;
using SupHost.IntNet.Format;

namespace SupHost.TestPeer;

/// <summary>
/// A second process on an IntNet network: opens an interface with SupClient.OpenIntNetInterface,
/// prints "READY session", then answers one line per command line on stdin:
/// <list type="bullet">
/// <item><c>active 0|1</c>, <c>promisc 0|1</c>, <c>mac HEX12</c>: "OK"</item>
/// <item><c>state</c>: "STATE mac active promiscuous macSet"</item>
/// <item><c>send HEX</c>: "OK" (sent and kicked: switched when the answer comes)</item>
/// <item><c>recv</c>: "FRAME HEX" for a pending frame, "NONE" when the ring is empty (never waits)</item>
/// <item><c>wait MS</c>: "WAITING", then "STATUS name" when Wait returns</item>
/// <item><c>send-pattern DST SRC SEQ SIZES</c>: sends the pattern frames (<see cref="Pattern"/>) of the sizes (comma-separated), kicks; "OK n"</item>
/// <item><c>check-pattern DST SRC SEQ SIZES</c>: receives that many frames, each within 10 s, and compares each
/// byte with the pattern: "OK n", or "BAD index detail" at the first difference</item>
/// </list>
/// </summary>
internal static class IntNetPeer
{
    public static int Run(string runDir, string network)
    {
        using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
        using IntNetInterface intnet = client.OpenIntNetInterface(new IntNetOpenOptions { Network = network });
        Console.WriteLine($"READY {client.SessionId}");
        Console.Out.Flush();
        byte[] buffer = new byte[70_000];
        while (Console.In.ReadLine() is { } line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string answer;
            try
            {
                answer = words[0] switch
                {
                    "active" => Do(() => intnet.SetActive(words[1] == "1")),
                    "promisc" => Do(() => intnet.SetPromiscuous(words[1] == "1")),
                    "mac" => Do(() => intnet.SetMac(new PhysicalAddress(Convert.FromHexString(words[1])))),
                    "state" => $"STATE {Convert.ToHexStringLower(intnet.MacAddress.GetAddressBytes())} {intnet.IsActive} {intnet.IsPromiscuous} {intnet.IsMacSet}",
                    "send" => Do(() =>
                    {
                        intnet.Send(Convert.FromHexString(words[1]));
                        intnet.Kick();
                    }),
                    "recv" => intnet.TryReceive(buffer, out int length) ? $"FRAME {Convert.ToHexStringLower(buffer.AsSpan(0, length))}" : "NONE",
                    "wait" => Wait(intnet, int.Parse(words[1], CultureInfo.InvariantCulture)),
                    "send-pattern" => SendPattern(intnet, words),
                    "check-pattern" => CheckPattern(intnet, words, buffer),
                    _ => $"UNKNOWN {words[0]}",
                };
            }
            catch (SupException ex)
            {
                answer = $"STATUS {ex.Status}";
            }

            Console.WriteLine(answer);
            Console.Out.Flush();
        }

        return 0;
    }

    /// <summary>The test frame of one size: DST, SRC, ethertype 0x88b5 (local experimental), then bytes that depend on the sequence number, the size and the position.</summary>
    public static byte[] Pattern(ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, int sequence, int size)
    {
        byte[] frame = new byte[size];
        destination.CopyTo(frame);
        source.CopyTo(frame.AsSpan(6));
        frame[12] = 0x88;
        frame[13] = 0xb5;
        for (int i = 14; i < size; i++)
        {
            frame[i] = (byte)((sequence * 131) + (size * 7) + (i * 13) + (i >> 8));
        }

        return frame;
    }

    private static string Do(Action action)
    {
        action();
        return "OK";
    }

    private static string Wait(IntNetInterface intnet, int milliseconds)
    {
        Console.WriteLine("WAITING");
        Console.Out.Flush();
        return $"STATUS {intnet.Wait(milliseconds)}";
    }

    private static int[] Sizes(string list) => [.. list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    private static string SendPattern(IntNetInterface intnet, string[] words)
    {
        byte[] destination = Convert.FromHexString(words[1]);
        byte[] source = Convert.FromHexString(words[2]);
        int sequence = int.Parse(words[3], CultureInfo.InvariantCulture);
        int[] sizes = Sizes(words[4]);
        foreach (int size in sizes)
        {
            intnet.Send(Pattern(destination, source, sequence++, size));
        }

        intnet.Kick();
        return $"OK {sizes.Length}";
    }

    private static string CheckPattern(IntNetInterface intnet, string[] words, byte[] buffer)
    {
        byte[] destination = Convert.FromHexString(words[1]);
        byte[] source = Convert.FromHexString(words[2]);
        int sequence = int.Parse(words[3], CultureInfo.InvariantCulture);
        int[] sizes = Sizes(words[4]);
        for (int index = 0; index < sizes.Length; index++)
        {
            int length = intnet.Receive(buffer, TimeSpan.FromSeconds(10), out FrameType type);
            if (length == 0)
            {
                return $"BAD {index} timed out waiting for frame {sequence + index} ({sizes[index]} bytes)";
            }

            byte[] expected = Pattern(destination, source, sequence + index, sizes[index]);
            if (type != FrameType.Frame || !buffer.AsSpan(0, length).SequenceEqual(expected))
            {
                return $"BAD {index} frame {sequence + index}: expected {expected.Length} bytes of type Frame, got {length} of {type}";
            }
        }

        return $"OK {sizes.Length}";
    }
}
