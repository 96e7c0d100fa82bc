namespace SupHost.Native.Tests;

public class MemoryTests
{
    [Fact]
    public void Two_mappings_of_one_memfd_see_the_same_bytes()
    {
        using SafeFd memory = Libc.CreateSharedMemory("suphost-test", 3 * 4096);
        using MappedMemory first = Libc.Map(memory, 3 * 4096, Libc.PROT_READ | Libc.PROT_WRITE);
        using MappedMemory second = Libc.Map(memory, 3 * 4096, Libc.PROT_READ);
        first.AsSpan()[8191] = 0x5a;
        first.Write(100, 0x1122334455667788ul);
        Assert.Equal(0x5a, second.AsSpan()[8191]);
        Assert.Equal(0x1122334455667788ul, second.Read<ulong>(100));
        Assert.Equal(3 * 4096, second.Length);
    }

    [Fact]
    public void Locking_and_protection_report_errno_rather_than_throw()
    {
        using SafeFd memory = Libc.CreateSharedMemory("suphost-test", 2 * 4096);
        using MappedMemory map = Libc.Map(memory, 2 * 4096, Libc.PROT_READ | Libc.PROT_WRITE);
        Assert.Equal(Errno.None, Libc.Lock(map, locked: true));
        Assert.Equal(Errno.None, Libc.Lock(map, locked: false));
        Assert.Equal(Errno.None, Libc.Protect(map, 4096, 4096, Libc.PROT_READ));
        Assert.Equal(Errno.EINVAL, Libc.Protect(map, 100, 4096, Libc.PROT_READ));
        map.AsSpan()[0] = 1; // the first page is still writable
    }

    [Fact]
    public void A_lock_that_fails_part_way_leaves_nothing_locked()
    {
        // mlock(2) marks the whole range locked, then fails on the inaccessible page with ENOMEM.
        using SafeFd memory = Libc.CreateSharedMemory("suphost-test", 4 * 4096);
        using MappedMemory map = Libc.Map(memory, 4 * 4096, Libc.PROT_READ | Libc.PROT_WRITE);
        Assert.Equal(Errno.None, Libc.Protect(map, 2 * 4096, 4096, Libc.PROT_NONE));
        long before = LockedKb();
        Assert.Equal(Errno.ENOMEM, Libc.Lock(map, locked: true));
        Assert.Equal(before, LockedKb());
    }

    [Fact]
    public void An_event_coalesces_signals_into_one_wake_up()
    {
        using SafeFd ev = Libc.CreateEvent();
        Assert.False(Libc.WaitReadable(ev, 0));
        Assert.False(Libc.TryConsumeEvent(ev));
        Libc.SignalEvent(ev);
        Libc.SignalEvent(ev);
        Assert.True(Libc.WaitReadable(ev, 1000));
        Assert.True(Libc.TryConsumeEvent(ev));
        Assert.False(Libc.TryConsumeEvent(ev));
        Assert.False(Libc.WaitReadable(ev, 10));
    }

    private static long LockedKb()
    {
        string line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmLck:", StringComparison.Ordinal));
        return long.Parse(line["VmLck:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
