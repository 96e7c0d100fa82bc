using System.Buffers.Binary;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 10, items 1 and 2: descriptors both ways in module calls, and memory and events a module
/// makes for a session; after each, the daemon's descriptors, memfd mappings and objects are back
/// to their baseline and a fresh session is served.
/// </summary>
public class ModuleDescriptorTests
{
    [Fact]
    public unsafe void A_call_carries_descriptors_both_ways_and_what_the_module_made_is_the_sessions()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            using SafeFd doorbell = Libc.CreateEvent();
            (SafeFd mine, SafeFd theirs) = Libc.SocketPair(Libc.SOCK_SEQPACKET);
            using (mine)
            {
                SupReply reply;
                IReadOnlyList<SafeFd> received;
                using (theirs)
                {
                    reply = client.CallModule(client.GetSymbol(module, "Exchange"), 0, 0, [], 16, [doorbell, theirs], out received);
                }

                // What the client sent: the module signalled the eventfd and wrote to the socket.
                Assert.True(Libc.TryConsumeEvent(doorbell), "the module did not signal the client's eventfd");
                byte[] buffer = new byte[16];
                fixed (byte* p = buffer)
                {
                    ReceiveResult got = Libc.ReceiveMessage(mine, p, buffer.Length, null, ReceiveOptions.DontWait);
                    Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, got.Length));
                }

                // What the module made: a page and an event of this session, in the reply's order.
                Assert.Equal(2, received.Count);
                ulong memory = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
                ulong evt = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload.AsSpan(8));
                using (MappedMemory mapped = Libc.Map(received[0], 4096, Libc.PROT_READ | Libc.PROT_WRITE))
                {
                    Assert.Equal(0x42, *(byte*)mapped.DangerousGetHandle());
                }

                Assert.True(Libc.TryConsumeEvent(received[1]), "the module's event is not signalled");
                Assert.Contains(client.ListMemory(), m => m.SessionId == client.SessionId && m.Handle == $"0x{memory:x16}");
                Assert.Contains(probe.ListObjects(), o => o.Handle == $"0x{evt:x16}");
                Assert.Equal(1, probe.QueryStatus().DescriptorsUnclaimed);

                // The client uses them as its own: it closes the event and frees the page.
                Assert.Equal(SupStatus.ObjectDestroyed, client.Release(evt));
                foreach (SafeFd fd in received)
                {
                    fd.Dispose();
                }
            }

            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void More_descriptors_than_the_limit_are_refused_and_all_closed()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            ulong exchange = client.GetSymbol(module, "Exchange");
            SafeFd[] many = [.. Enumerable.Range(0, ProtocolConstants.MaxDescriptorsPerCall + 1).Select(_ => Libc.CreateEvent())];
            try
            {
                SupException refused = Assert.Throws<SupException>(() => client.CallModule(exchange, 0, 0, [], 16, many, out _));
                Assert.Equal(SupStatus.TooManyDescriptors, refused.Status);
                Assert.Equal("the request carried more than 16 descriptors, the limit; all were closed", refused.Message);
                Assert.False(refused.IsModuleStatus);

                // Exactly the limit reaches the module (which wants two, and says so).
                SupException wrongCount = Assert.Throws<SupException>(() => client.CallModule(exchange, 0, 0, [], 16, many[..16], out _));
                Assert.Equal(-1000, (int)wrongCount.Status);
                Assert.True(wrongCount.IsModuleStatus);
                Assert.Equal(16, probe.QueryStatus().DescriptorsUnclaimed);
            }
            finally
            {
                Array.ForEach(many, fd => fd.Dispose());
            }

            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void A_function_other_than_a_module_call_takes_no_descriptors()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);
        using (var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName)))
        {
            Assert.Equal(SupStatus.Success, raw.Handshake().Status);
            using SafeFd fd = Libc.CreateEvent();
            RawSession.Reply reply = raw.Exchange(RawSession.Request(raw.Cookie, SupFunction.Nop, [], 0, 2), [fd]);
            Assert.Equal(SupStatus.InvalidParameter, reply.Status);
            Assert.Equal("Nop takes no file descriptors; they were closed", reply.Message);
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void A_reply_to_a_client_that_went_away_leaks_nothing()
    {
        using Daemon daemon = Daemon.Start("--verbose");
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName)))
        {
            Assert.Equal(SupStatus.Success, raw.Handshake().Status);
            byte[] open = new byte[ProtocolConstants.NameFieldSize];
            NameField.Write(open, "test-memory");
            ulong module = ModuleOpenReply.Read(raw.Call(SupFunction.ModuleOpen, open, ModuleOpenReply.Size).Payload).Handle;
            byte[] load = new byte[HandleFlagsRequest.Size];
            new HandleFlagsRequest(module, 0).Write(load);
            Assert.Equal(SupStatus.Success, raw.Call(SupFunction.ModuleLoad, load, 0).Status);
            byte[] symbol = new byte[ModuleSymbolRequest.Size];
            new ModuleSymbolRequest(module, "ReplyLate").Write(symbol);
            ulong late = HandleReply.Read(raw.Call(SupFunction.ModuleGetSymbol, symbol, HandleReply.Size).Payload).Handle;
            byte[] call = new byte[ModuleCallRequest.FixedSize];
            new ModuleCallRequest(late, 0, 0).Write(call);
            raw.Send(RawSession.Request(raw.Cookie, SupFunction.ModuleCall, call, 0, 9));
        }

        // The module makes a page and an event for the gone session and replies with both: the
        // send fails, the descriptors are closed, and the session's end frees what it was given.
        before.AssertRestored(daemon, probe);
        Assert.Equal(0, probe.QueryStatus().DescriptorsHeld);
    }

    [Fact]
    public void A_module_cannot_hand_out_a_descriptor_the_daemon_did_not_make()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);
        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            SupException refused = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(module, "ReplyForeign"), 0, 0, [], 0, [], out _));
            Assert.Equal(SupStatus.DescriptorNotTransferable, refused.Status);
            Assert.Contains("reply descriptor 0 is not one the daemon made", refused.Message, StringComparison.Ordinal);
            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
    }
}
