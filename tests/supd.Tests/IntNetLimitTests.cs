using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>Issue 11, item 2: at most 1040 interfaces per network (the original's default); the 1041st open is -20 LimitReached.</summary>
public sealed class IntNetLimitTests
{
    [Fact]
    public void The_1041st_interface_of_a_network_is_refused_and_a_freed_place_is_taken_again()
    {
        // The daemon's own budgets raised, so that the port limit is the one that bites: 1041
        // interfaces hold some 3,100 descriptors in the module and 4 objects each in the sessions.
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxDescriptorsPerUid": 32768, "MaxDescriptorsPerModule": 32768 } }""");
        string name = $"limit-{Guid.NewGuid().ToString("N")[..8]}";
        var clients = new List<SupClient>();
        var interfaces = new List<IntNetInterface>();
        try
        {
            var options = new IntNetOpenOptions { Network = name, ReceiveRingSize = 32, SendRingSize = 32 };
            while (interfaces.Count < 1040)
            {
                // 200 interfaces a session keeps each within its descriptor budget (1,024).
                if (interfaces.Count % 200 == 0)
                {
                    clients.Add(daemon.Connect());
                }

                interfaces.Add(clients[^1].OpenIntNetInterface(options));
            }

            Assert.Equal(1040, IntNetHarness.Show(clients[0], name).GetProperty("portCount").GetInt32());
            SupClient another = daemon.Connect();
            clients.Add(another);
            SupException refused = Assert.Throws<SupException>(() => another.OpenIntNetInterface(options));
            Assert.Equal(SupStatus.LimitReached, refused.Status);
            Assert.Contains("1040 ports, the limit", refused.Message, StringComparison.Ordinal);

            // Not a leak: closing one makes room for exactly one.
            interfaces[500].Dispose();
            interfaces.RemoveAt(500);
            interfaces.Add(another.OpenIntNetInterface(options));
            Assert.Equal(SupStatus.LimitReached, Assert.Throws<SupException>(() => another.OpenIntNetInterface(options)).Status);
            Assert.Equal(1040, IntNetHarness.Show(clients[0], name).GetProperty("portCount").GetInt32());
        }
        finally
        {
            interfaces.ForEach(i => i.Dispose());
            clients.ForEach(c => c.Dispose());
        }
    }
}
