using Supd.Tests;
using SupHost.Client;
using SupHost.ModuleTesting;
using SupHost.Native;
using SupHost.Protocol;
using SupHost.Samples.Echo;

namespace SampleEcho.Tests;

/// <summary>
/// The test host is worth only what it shares with the daemon: the same calls to sample-echo,
/// made over the real daemon's socket and in the test host, give the same status, the same
/// module flag, the same payload or message and as many descriptors.
/// </summary>
public sealed class DaemonComparisonTests
{
    private static readonly (string Entry, uint Operation, ulong Argument, byte[] Input, int OutputSize)[] s_calls =
    [
        ("Nop", 0, 0, [], 0),
        ("Echo", 3, 0, [0x00, 0x01, 0xfe], 16),
        ("Echo", 0, 0, [1, 2, 3], 2),
        ("Signal", 0, 0xdead_beef, [], 0),
        ("Time", 0, 0, [], 4),
        ("Missing", 0, 0, [], 0),
        ("Echo", 0, 0, [], 1 << 24),
    ];

    [Fact]
    public void The_same_calls_give_the_same_replies_in_the_test_host_and_over_the_daemon()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        ModuleOpenReply open = client.OpenModule("sample-echo");
        client.LoadModule(open.Handle);
        using var host = ModuleTestHost.Create(new EchoModule());
        using TestSession session = host.CreateSession();

        foreach ((string entry, uint operation, ulong argument, byte[] input, int outputSize) in s_calls)
        {
            Reply overSocket = OverSocket(client, open.Handle, entry, operation, argument, input, outputSize, []);
            using TestReply inProcess = host.Call(session, entry, operation, argument, input, outputSize);

            string call = $"{entry} (operation {operation}, {input.Length} bytes in, {outputSize} out)";
            Assert.True(overSocket.Status == inProcess.Status, $"{call}: {overSocket.Status} over the socket, {inProcess.Status} in the host");
            Assert.True(overSocket.FromModule == inProcess.IsModuleStatus, $"{call}: module flag {overSocket.FromModule} over the socket, {inProcess.IsModuleStatus} in the host");
            Assert.Equal(overSocket.Payload, inProcess.Output);
            Assert.Equal(overSocket.Message, inProcess.Message);
        }

        // Descriptors both ways: as many come back, and the first is still the eventfd sent first.
        using SafeFd first = Libc.CreateEvent();
        using SafeFd second = Libc.CreateEvent();
        Reply echoed = OverSocket(client, open.Handle, "EchoDescriptors", 0, 0, [], 0, [first, second]);
        using TestReply inHost = host.Call(session, "EchoDescriptors", descriptors: [first, second]);
        Assert.Equal(echoed.Status, inHost.Status);
        Assert.Equal(echoed.Descriptors, inHost.Descriptors.Count);

        client.FreeModule(open.Handle);
        host.AssertClean();
    }

    private static Reply OverSocket(SupClient client, ulong module, string entry, uint operation, ulong argument, byte[] input, int outputSize, SafeFd[] send)
    {
        try
        {
            ulong symbol = client.GetSymbol(module, entry);
            SupReply reply = client.CallModule(symbol, operation, argument, input, outputSize, send, out IReadOnlyList<SafeFd> received);
            foreach (SafeFd fd in received)
            {
                fd.Dispose();
            }

            return new Reply(reply.Status, reply.IsModuleStatus, reply.Payload, null, received.Count);
        }
        catch (SupException ex)
        {
            return new Reply(ex.Status, ex.IsModuleStatus, [], ex.Message, 0);
        }
    }

    private sealed record Reply(SupStatus Status, bool FromModule, byte[] Payload, string? Message, int Descriptors);
}
