using System.Globalization;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 9's shared-memory defects (1, 2, 8, 10, 11 and the per-allocation limit's status), each
/// against the real daemon; after each, the daemon serves a fresh session and its descriptors,
/// memfd mappings, objects and locked pages are back to where they were.
/// </summary>
public class MemoryHardeningTests
{
    private const int PageSize = 4096;

    [Fact]
    public void A_module_view_of_pages_protected_to_none_or_read_fails_cleanly()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            using SharedMemory memory = client.AllocatePages(2);
            memory.Span[0] = 0x5a;

            // Defect 1: the daemon read a page it had made inaccessible and died.
            memory.Protect(PageSize, PageSize, PageProtection.None);
            SupException none = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(module, "Read"), PageSize, memory.Handle, [], 1));
            Assert.Equal(SupStatus.ModuleCallFailed, none.Status);
            Assert.Contains("page 1 of allocation", none.Message, StringComparison.Ordinal);
            Assert.Contains("protected none", none.Message, StringComparison.Ordinal);

            // A 1.0 view is writable: read-only pages refuse it too.
            memory.Protect(PageSize, PageSize, PageProtection.Read);
            SupException read = Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(module, "Write"), 0, memory.Handle, "x"u8, 0));
            Assert.Contains("protected read", read.Message, StringComparison.Ordinal);

            // Back to read-write, the view works again and the bytes are the client's.
            memory.Protect(PageSize, PageSize, PageProtection.ReadWrite);
            Assert.Equal([0x5a], client.CallModule(client.GetSymbol(module, "Read"), 0, memory.Handle, [], 1).Payload);
            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void Protecting_every_other_page_never_splits_the_daemons_mapping()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);
        int allLinesBefore = File.ReadLines($"/proc/{daemon.Pid}/maps").Count();

        // Raw requests: the client library would split this process's own mapping as well.
        const uint Pages = 131072;
        using (var raw = new RawSession(Path.Combine(daemon.RunDir, ProtocolConstants.FullSocketName)))
        {
            Assert.Equal(SupStatus.Success, raw.Handshake().Status);
            byte[] alloc = new byte[PageAllocRequest.Size];
            new PageAllocRequest(Pages, 0).Write(alloc);
            RawSession.Reply allocated = raw.Call(SupFunction.PageAlloc, alloc, PageAllocReply.Size);
            Assert.Equal(SupStatus.Success, allocated.Status);
            ulong handle = PageAllocReply.Read(allocated.Payload).Handle;

            // Defect 2: 32,768 changes on alternate pages used to split the daemon's mapping into
            // 65,536 pieces, past vm.max_map_count (65,530), and mprotect's ENOMEM aborted it.
            byte[] protect = new byte[PageProtectRequest.Size];
            for (ulong page = 0; page < Pages; page += 2)
            {
                new PageProtectRequest(handle, page * PageSize, PageSize, (uint)PageProtection.Read).Write(protect);
                RawSession.Reply reply = raw.Call(SupFunction.PageProtect, protect, 0);
                Assert.True(reply.Status == SupStatus.Success, $"protecting page {page}: {reply.Status} {reply.Message}");
            }

            Assert.Equal(before.MemfdMappings + 1, daemon.MemfdMappings());
            int allLines = File.ReadLines($"/proc/{daemon.Pid}/maps").Count();
            Assert.True(allLines < allLinesBefore + 1000, $"the daemon has {allLines} mappings, {allLinesBefore} before");
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void The_number_of_allocations_is_bounded()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxAllocationsTotal": 3 } }""");
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);
        using (SupClient client = daemon.Connect())
        {
            var held = new List<SharedMemory> { client.AllocatePages(1), client.AllocatePages(1) };
            using SupClient other = daemon.Connect();
            held.Add(other.AllocatePages(1));
            SupException refused = Assert.Throws<SupException>(() => client.AllocatePages(1));
            Assert.Equal(SupStatus.LimitReached, refused.Status);
            Assert.Contains("3 allocations are held; 1 more would exceed the daemon's limit of 3", refused.Message, StringComparison.Ordinal);
            Assert.Equal(3, probe.QueryStatus().AllocationsHeld);
            held[0].Dispose();
            held.Add(client.AllocatePages(1));
            held.ForEach(m => m.Dispose());
        }

        Assert.Equal(3, probe.QueryStatus().AllocationBudget);
        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void The_default_allocation_budget_stays_well_below_vm_max_map_count()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        StatusInfo status = probe.QueryStatus();
        long maxMapCount = long.Parse(File.ReadAllText("/proc/sys/vm/max_map_count").Trim(), CultureInfo.InvariantCulture);
        int mapped = File.ReadLines($"/proc/{daemon.Pid}/maps").Count();
        Assert.InRange(status.AllocationBudget, 1, maxMapCount - mapped - 16384);
        daemon.WaitForOutput($"Shared memory: at most {status.AllocationBudget} allocations");
    }

    [Fact]
    public void A_lease_honours_protection_keeps_the_pages_past_PageFree_and_ends_with_the_module()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            ulong lease = client.GetSymbol(module, "Lease");
            ulong writeLeased = client.GetSymbol(module, "WriteLeased");
            ulong endLease = client.GetSymbol(module, "EndLease");
            SharedMemory memory = client.AllocatePages(4);

            // A lease is checked against what the client set: none refuses reading, read refuses writing.
            memory.Protect(3 * PageSize, PageSize, PageProtection.None);
            memory.Protect(PageSize, PageSize, PageProtection.Read);
            Assert.Equal(SupStatus.PageProtected, Assert.Throws<SupException>(() => client.CallModule(lease, 0, memory.Handle, [4, 0], 0)).Status);
            Assert.Equal(SupStatus.PageProtected, Assert.Throws<SupException>(() => client.CallModule(lease, 0, memory.Handle, [2, 1], 0)).Status);
            client.CallModule(lease, 0, memory.Handle, [2, 0], 0);
            client.CallModule(endLease, 0, 0);
            client.CallModule(lease, 0, memory.Handle, [1, 1], 0);
            client.CallModule(writeLeased, 0, 0, "leased"u8, 0);
            Assert.Equal("leased"u8.ToArray(), memory.Span[..6].ToArray());

            // Protection set after the lease was taken is honoured at the next span.
            memory.Protect(0, PageSize, PageProtection.Read);
            Assert.Contains("page 0 of allocation", Assert.Throws<SupException>(() => client.CallModule(writeLeased, 0, 0, "x"u8, 0)).Message, StringComparison.Ordinal);
            memory.Protect(0, PageSize, PageProtection.ReadWrite);

            // The lease keeps the freed allocation mapped (and counted) until it ends.
            memory.Dispose();
            Assert.Empty(client.ListMemory());
            Assert.Equal([1, .. "leased"u8], client.CallModule(client.GetSymbol(module, "ReadLeased"), 0, 0, [], 7).Payload);
            Assert.Equal(before.MemfdMappings + 1, daemon.MemfdMappings());
            Assert.Equal(4, probe.QueryStatus().PagesHeld);
            client.CallModule(endLease, 0, 0);
            Poll.Until(() => daemon.MemfdMappings() == before.MemfdMappings && probe.QueryStatus().PagesHeld == 0, "the lease's end to unmap the freed allocation");

            // A lease the module still holds when it is unloaded is ended by the daemon.
            SharedMemory again = client.AllocatePages(1);
            client.CallModule(lease, 0, again.Handle, [1, 1], 0);
            again.Dispose();
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(module));
            daemon.WaitForOutput("was disposed holding 1 memory leases");
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void A_view_kept_past_PageFree_or_the_clients_death_fails_cleanly()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-memory");
            ulong writeKept = client.GetSymbol(module, "WriteKept");

            // Defect 8: the Memory<byte> a module kept pointed into the unmapped allocation.
            SharedMemory memory = client.AllocatePages(4);
            client.CallModule(client.GetSymbol(module, "Keep"), 0, memory.Handle);
            memory.Dispose();
            SupException freed = Assert.Throws<SupException>(() => client.CallModule(writeKept, 0, 0, "stale"u8, 0));
            Assert.Equal(SupStatus.ModuleCallFailed, freed.Status);
            Assert.Contains("was freed", freed.Message, StringComparison.Ordinal);

            // The same once the session that held the memory has ended.
            using (SupClient other = daemon.Connect())
            {
                ulong theirs = Modules.Loaded(other, "test-memory");
                SharedMemory held = other.AllocatePages(4);
                other.CallModule(other.GetSymbol(theirs, "Keep"), 0, held.Handle);
            }

            Poll.Until(() => probe.ListMemory().Count == 0, "the ended session's allocation to go");
            SupException ended = Assert.Throws<SupException>(() => client.CallModule(writeKept, 0, 0, "stale"u8, 0));
            Assert.Contains("was freed", ended.Message, StringComparison.Ordinal);
            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void One_uid_cannot_take_every_page_or_every_locked_page()
    {
        string group = $"supg{Guid.NewGuid().ToString("N")[..8]}";
        using var user = new TestUser();
        try
        {
            // The defaults: per uid half the total, for pages and for locked pages.
            using Daemon daemon = Daemon.Start("--group", group);
            user.AddToGroup(group);
            using SupClient probe = daemon.Connect();
            DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);

            using (SupClient first = daemon.Connect())
            using (SupClient second = daemon.Connect())
            using (SupClient third = daemon.Connect())
            {
                // Defect 10: four sessions of one uid took all 524,288 pages.
                using (SharedMemory a = first.AllocatePages(131072))
                using (SharedMemory b = second.AllocatePages(131072))
                {
                    SupException pages = Assert.Throws<SupException>(() => third.AllocatePages(1));
                    Assert.Equal(SupStatus.LimitReached, pages.Status);
                    Assert.Contains($"uid 0 holds 262144 pages over all its sessions; 1 more would exceed the per-uid limit of 262144", pages.Message, StringComparison.Ordinal);
                    Assert.Equal("OK", AllocateAs(user, daemon, 1, locked: false));
                }

                // And one uid's sessions took every locked page.
                using (SharedMemory locked = first.AllocatePages(8192, locked: true))
                {
                    SupException refused = Assert.Throws<SupException>(() => second.AllocatePages(1, locked: true));
                    Assert.Equal(SupStatus.LimitReached, refused.Status);
                    Assert.Contains("per-uid limit of 8192", refused.Message, StringComparison.Ordinal);
                    Assert.Equal("OK", AllocateAs(user, daemon, 1, locked: true));
                }
            }

            before.AssertRestored(daemon, probe);
        }
        finally
        {
            Tool.Run("groupdel", group);
        }
    }

    [Fact]
    public void Locking_pages_a_client_protected_locks_and_counts_the_same_pages()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxLockedPages": 8 } }""");
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);

        using (SupClient client = daemon.Connect())
        {
            var held = new List<SharedMemory>();
            for (int i = 0; i < 3; i++)
            {
                SharedMemory memory = client.AllocatePages(4);
                memory.Protect(PageSize, PageSize, PageProtection.None);
                held.Add(memory);
            }

            // Defect 11: the lock was refused as "RLIMIT_MEMLOCK" yet left the pages locked.
            held[0].Lock();
            Assert.Equal(before.LockedKiB + 16, daemon.LockedKiB());
            held[1].Lock();
            Assert.Equal(before.LockedKiB + 32, daemon.LockedKiB());
            SupException refused = Assert.Throws<SupException>(() => held[2].Lock());
            Assert.Equal(SupStatus.LimitReached, refused.Status);
            Assert.Contains("8 locked pages are held; 4 more would exceed the daemon's limit of 8", refused.Message, StringComparison.Ordinal);
            Assert.Equal(before.LockedKiB + 32, daemon.LockedKiB());

            // Unlocking unlocks what was locked, and frees the count for another.
            held[0].Lock(false);
            Assert.Equal(before.LockedKiB + 16, daemon.LockedKiB());
            held[2].Lock();
            Assert.Equal(before.LockedKiB + 32, daemon.LockedKiB());
            held.ForEach(m => m.Dispose());
        }

        before.AssertRestored(daemon, probe);
    }

    [Fact]
    public void An_allocation_over_the_per_allocation_limit_is_LimitReached_and_zero_pages_InvalidParameter()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxPagesPerAllocation": 12 } }""");
        using SupClient client = daemon.Connect();
        SupException zero = Assert.Throws<SupException>(() => client.AllocatePages(0));
        Assert.Equal(SupStatus.InvalidParameter, zero.Status);
        Assert.Equal("an allocation needs at least 1 page", zero.Message);
        SupException tooBig = Assert.Throws<SupException>(() => client.AllocatePages(13));
        Assert.Equal(SupStatus.LimitReached, tooBig.Status);
        Assert.Equal("13 pages exceed the per-allocation limit of 12", tooBig.Message);
        using SharedMemory largest = client.AllocatePages(12);
    }

    private static string AllocateAs(TestUser user, Daemon daemon, uint pages, bool locked)
    {
        (int _, string stdout, string stderr) = user.Run(Tool.PeerCommand("alloc", daemon.RunDir, pages.ToString(CultureInfo.InvariantCulture), locked ? "lock" : "nolock"));
        return stdout.Trim() + (stderr.Length > 0 ? $" ({stderr.Trim()})" : string.Empty);
    }
}
