namespace SupHost.Native.Tests;

public class EventfdTests
{
    [Fact]
    public void Aio_signals_a_blocking_eventfd_at_its_limit_and_nowait_reads_never_block()
    {
        using AioContext context = Libc.SetUpAio(8);
        using SafeFd ready = Libc.CreateEvent(initialValue: 1);
        using SafeFd target = Libc.CreateEvent();
        Libc.SetNonBlocking(target, false);
        Assert.False(Libc.IsNonBlocking(target));

        // A blocking eventfd at zero: the read does not wait.
        Assert.False(Libc.TryConsumeEventWithoutBlocking(target, out _));

        // One below the limit: write(2) of 1 would sleep; the AIO completion saturates instead.
        Libc.AddToEvent(target, 0xffff_ffff_ffff_fffe);
        Assert.False(Libc.IsEventSaturated(target));
        Assert.Equal(Errno.None, Libc.SignalEventThroughAio(context, ready, target));
        Assert.True(Libc.IsEventSaturated(target));
        Assert.Equal(Errno.None, Libc.SignalEventThroughAio(context, ready, target));
        Assert.Equal(2, Libc.ReapAio(context, 8));

        Assert.True(Libc.TryConsumeEventWithoutBlocking(target, out ulong count));
        Assert.Equal(ulong.MaxValue, count);
        Assert.False(Libc.IsEventSaturated(target));

        // The internal descriptor keeps its count: it stays readable for the next signal.
        Assert.Equal(Errno.None, Libc.SignalEventThroughAio(context, ready, target));
        Assert.True(Libc.TryConsumeEventWithoutBlocking(target, out count));
        Assert.Equal(1ul, count);
        Assert.True(Libc.TryConsumeEventWithoutBlocking(ready, out count));
        Assert.Equal(1ul, count);
    }
}
