using SupHost.Driver.Internal;

namespace SupHost.Driver.Tests;

public class QuotaTests
{
    [Fact]
    public void Each_limit_refuses_with_its_own_message_and_takes_nothing()
    {
        var quota = new Quota("pages", perSession: 10, perUid: 15, total: 20);
        Assert.True(quota.TryTake(1, 1000, 10, out _));

        Assert.False(quota.TryTake(1, 1000, 1, out string? session));
        Assert.Contains("its limit of 10", session, StringComparison.Ordinal);

        Assert.True(quota.TryTake(2, 1000, 5, out _));
        Assert.False(quota.TryTake(3, 1000, 1, out string? uid));
        Assert.Contains("uid 1000 holds 15 pages", uid, StringComparison.Ordinal);

        Assert.True(quota.TryTake(4, 2000, 5, out _));
        Assert.False(quota.TryTake(5, 3000, 1, out string? total));
        Assert.Contains("the daemon's limit of 20", total, StringComparison.Ordinal);

        // The refusals took nothing.
        Assert.Equal(20, quota.Held);
        Assert.Equal(0, quota.HeldBySession(3));
        Assert.Equal(0, quota.HeldByUid(3000));
    }

    [Fact]
    public void What_is_returned_can_be_taken_again_and_counts_never_go_negative()
    {
        var quota = new Quota("descriptors", perSession: 4, perUid: 4, total: 4);
        Assert.True(quota.TryTake(1, 7, 4, out _));
        quota.Return(1, 7, 4);
        Assert.Equal(0, quota.HeldBySession(1));
        Assert.Equal(0, quota.HeldByUid(7));
        quota.Return(1, 7, 3);
        Assert.Equal(0, quota.Held);
        Assert.True(quota.TryTake(2, 8, 4, out _));
    }

    [Fact]
    public void Concurrent_takers_never_exceed_the_total()
    {
        var quota = new Quota("sessions", perSession: long.MaxValue, perUid: long.MaxValue, total: 1000);
        int taken = 0;
        Parallel.For(0, 4000, i =>
        {
            if (quota.TryTake((uint)i, (uint)(i % 7), 1, out _))
            {
                Interlocked.Increment(ref taken);
            }
        });
        Assert.Equal(1000, taken);
        Assert.Equal(1000, quota.Held);
    }
}
