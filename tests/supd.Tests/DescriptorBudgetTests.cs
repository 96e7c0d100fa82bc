using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Every descriptor a session makes the daemon hold (an allocation's memfd, an event's eventfd)
/// counts against the session's and its uid's budget, so no uid can fill the daemon's descriptor
/// table (issue 9, defect 3).
/// </summary>
public class DescriptorBudgetTests
{
    [Fact]
    public void Events_and_allocations_are_bounded_per_session_and_per_uid_and_given_back()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxDescriptorsPerSession": 6, "MaxDescriptorsPerUid": 10 } }""");
        using SupClient probe = daemon.Connect();
        int baseline = daemon.FdCount();

        using (SupClient first = daemon.Connect())
        using (SupClient second = daemon.Connect())
        {
            var held = new List<IDisposable>();
            for (int i = 0; i < 3; i++)
            {
                held.Add(first.CreateEvent(EventKind.AutoReset));
                held.Add(first.AllocatePages(1));
            }

            SupException session = Assert.Throws<SupException>(() => first.CreateEvent(EventKind.Multi));
            Assert.Equal(SupStatus.LimitReached, session.Status);
            Assert.Contains("its limit of 6", session.Message, StringComparison.Ordinal);
            Assert.Equal(SupStatus.LimitReached, Assert.Throws<SupException>(() => first.AllocatePages(1)).Status);

            // Another session of the same uid gets what the uid has left, then the per-uid refusal.
            for (int i = 0; i < 4; i++)
            {
                held.Add(second.CreateEvent(EventKind.AutoReset));
            }

            SupException uid = Assert.Throws<SupException>(() => second.AllocatePages(1));
            Assert.Equal(SupStatus.LimitReached, uid.Status);
            Assert.Contains("per-uid limit of 10", uid.Message, StringComparison.Ordinal);
            Assert.Equal(10, probe.QueryStatus().DescriptorsHeld);

            // What is closed is given back at once.
            held[0].Dispose();
            held.Add(second.AllocatePages(1));
        }

        // Both sessions ended: nothing is held, and the daemon's descriptors are back.
        Poll.Until(() => probe.QueryStatus().DescriptorsHeld == 0, () => $"the descriptors to be given back; {probe.QueryStatus().DescriptorsHeld} are held");
        Poll.Until(() => daemon.FdCount() <= baseline, () => $"the daemon's descriptors to return to {baseline}; it has {daemon.FdCount()}: {daemon.FdTargets()}");
        using SupClient fresh = daemon.Connect();
        using EventSemaphore again = fresh.CreateEvent(EventKind.AutoReset);
        Assert.True(probe.QueryStatus().DescriptorBudget > 1000);
    }
}
