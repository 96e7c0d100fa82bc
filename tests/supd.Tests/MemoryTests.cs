using System.Diagnostics;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

public class MemoryTests
{
    [Fact]
    public void The_client_a_module_and_a_second_process_see_the_same_bytes()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using SharedMemory memory = client.AllocatePages(2);
        Assert.Equal(8192, memory.Length);

        ModuleOpenReply module = client.OpenModule("test-flaky");
        Assert.Throws<SupException>(() => client.LoadModule(module.Handle));
        client.LoadModule(module.Handle);

        // Client writes, the module (in the daemon) reads.
        "client!!"u8.CopyTo(memory.Span);
        SupReply peeked = client.CallModule(client.GetSymbol(module.Handle, "Peek"), 0, memory.Handle, [], 8);
        Assert.Equal("client!!"u8.ToArray(), peeked.Payload);

        // The module writes, the client reads.
        client.CallModule(client.GetSymbol(module.Handle, "Poke"), 100, memory.Handle, "module"u8, 0);
        Assert.Equal("module"u8.ToArray(), memory.Span.Slice(100, 6).ToArray());
        Assert.Contains("test-flaky", Assert.Single(client.ListMemory()).Modules);

        // A second process receives the descriptor, reads, and writes back.
        string dir = Directory.CreateTempSubdirectory("supd-memfd-").FullName;
        try
        {
            string path = Path.Combine(dir, "pass.sock");
            using SafeFd listener = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
            Libc.Bind(listener, path);
            Libc.Listen(listener, 1);
            string[] command = Tool.PeerCommand("map-received", path, "8192");
            var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in command[1..])
            {
                start.ArgumentList.Add(arg);
            }

            using Process peer = Process.Start(start)!;
            using (SafeFd connection = Libc.Accept(listener))
            {
                unsafe
                {
                    byte one = 1;
                    Assert.Equal(Errno.None, Libc.SendMessage(connection, &one, 1, [memory.Descriptor]));
                }
            }

            string output = peer.StandardOutput.ReadToEnd();
            peer.WaitForExit();
            Assert.Equal(0, peer.ExitCode);
            Assert.Contains($"READ {Convert.ToHexStringLower("client!!"u8)}", output, StringComparison.Ordinal);
            Assert.Equal("from the peer"u8.ToArray(), memory.Span.Slice(4096, 13).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        client.FreeModule(module.Handle);
    }

    [Fact]
    public void A_killed_clients_pages_are_released()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        observer.ListMemory();
        int fdsBefore = daemon.FdCount();
        int mapsBefore = daemon.MemfdMappings();

        (Process peer, uint sessionId) = Tool.StartHoldingPeer("hold-memory", daemon.RunDir, "16");
        using (peer)
        {
            MemoryInfo held = Assert.Single(observer.ListMemory());
            Assert.Equal(sessionId, held.SessionId);
            Assert.Equal(16, held.Pages);
            Assert.True(held.Locked);
            (int code, string table, _) = Tool.Supctl("memory", "--run-dir", daemon.RunDir);
            Assert.Equal(0, code);
            Assert.Contains($"{held.Handle}  {sessionId}        16     yes", table, StringComparison.Ordinal);
            Assert.Equal(mapsBefore + 1, daemon.MemfdMappings());
            peer.Kill();
            peer.WaitForExit();
        }

        Poll.Until(() => observer.ListMemory().Count == 0, "the killed client's allocation to go");
        Poll.Until(() => daemon.FdCount() == fdsBefore && daemon.MemfdMappings() == mapsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) and memfd mappings {daemon.MemfdMappings()} (was {mapsBefore}) to return");
    }

    [Fact]
    public void Quotas_and_the_lock_limit_give_their_statuses()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxPagesPerSession": 16, "MaxLockedPages": 8, "MaxPagesPerAllocation": 12 } }""");
        using SupClient client = daemon.Connect();
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => client.AllocatePages(0)).Status);
        SupException tooBig = Assert.Throws<SupException>(() => client.AllocatePages(13));
        Assert.Equal(SupStatus.LimitReached, tooBig.Status);
        Assert.Equal("13 pages exceed the per-allocation limit of 12", tooBig.Message);

        using SharedMemory first = client.AllocatePages(10);
        SupException session = Assert.Throws<SupException>(() => client.AllocatePages(7));
        Assert.Equal(SupStatus.LimitReached, session.Status);
        Assert.Equal("the session holds 10 pages; 7 more would exceed its limit of 16", session.Message);

        SupException locked = Assert.Throws<SupException>(() => first.Lock());
        Assert.Equal(SupStatus.LimitReached, locked.Status);
        Assert.Contains("10 more would exceed the daemon's limit of 8", locked.Message, StringComparison.Ordinal);
        using SharedMemory small = client.AllocatePages(6, locked: true);
        Assert.True(Assert.Single(client.ListMemory(), m => m.Pages == 6).Locked);
        small.Lock(false);
        Assert.False(Assert.Single(client.ListMemory(), m => m.Pages == 6).Locked);

        // Another session has its own quota.
        using SupClient other = daemon.Connect();
        using SharedMemory theirs = other.AllocatePages(12);
    }

    [Fact]
    public void Protection_is_checked_and_enforced()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using SharedMemory memory = client.AllocatePages(2);
        Assert.Contains("offset 100 is not a multiple", Assert.Throws<SupException>(() => memory.Protect(100, 4096, PageProtection.Read)).Message, StringComparison.Ordinal);
        Assert.Contains("length 10 is not a multiple", Assert.Throws<SupException>(() => memory.Protect(0, 10, PageProtection.Read)).Message, StringComparison.Ordinal);
        Assert.Contains("outside the allocation of 8192 bytes", Assert.Throws<SupException>(() => memory.Protect(4096, 8192, PageProtection.Read)).Message, StringComparison.Ordinal);

        // A write to a read-only page faults, in a child process.
        string[] faulting = Tool.PeerCommand("protect-fault", daemon.RunDir, "2");
        (int code, string stdout, _) = Tool.Run(faulting[0], faulting[1..]);
        Assert.NotEqual(0, code);
        Assert.Contains("WROTE first page", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("WROTE second page", stdout, StringComparison.Ordinal);
    }
}
