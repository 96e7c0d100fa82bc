using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Supd.Tests;

/// <summary>
/// The guest image on its own, before SupHost's switch is in the path: real QEMU guests linked
/// directly by QEMU's back-ends, all traffic on Unix sockets in the test's own directory.
/// </summary>
public sealed class QemuGuestTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_boot = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_match = TimeSpan.FromSeconds(5);

    [Fact]
    public void Two_guests_on_a_datagram_link_ping_each_other_and_run_iperf3()
    {
        string directory = Directory.CreateTempSubdirectory("suphost-dgram-").FullName;
        try
        {
            string a = Path.Combine(directory, "a.sock");
            string b = Path.Combine(directory, "b.sock");
            List<int> pids = [];
            using (QemuGuest server = QemuGuest.Start(new QemuGuestOptions
            {
                Name = "server",
                Netdev = $"dgram,local.type=unix,local.path={b},remote.type=unix,remote.path={a}",
                Mac = "52:54:00:5e:00:02",
                Address = "10.0.2.2/24",
                // One client, then exit: the client's run is what ends the server.
                Script = "echo server up\niperf3 -s -1\n",
            }))
            using (QemuGuest client = QemuGuest.Start(new QemuGuestOptions
            {
                Name = "client",
                Netdev = $"dgram,local.type=unix,local.path={a},remote.type=unix,remote.path={b}",
                Mac = "52:54:00:5e:00:01",
                Address = "10.0.2.1/24",
                // The guests boot side by side: wait (bounded) for the server to answer, then measure.
                Command = "n=0; until ping -c 1 -W 1 10.0.2.2 >/dev/null; do n=$((n+1)); [ $n -lt 60 ] || exit 99; done; "
                    + "ping -c 5 -i 0.2 10.0.2.2 && iperf3 -c 10.0.2.2 -t 2",
            }))
            {
                pids.Add(server.Pid);
                pids.Add(client.Pid);
                Assert.Equal("10.0.2.2", server.WaitForReady(s_boot));
                Assert.Equal("10.0.2.1", client.WaitForReady(s_boot));
                Report(server);
                Report(client);

                int clientStatus = client.WaitForExit(s_run);
                int serverStatus = server.WaitForExit(s_run);
                output.WriteLine($"--- client console:\n{client.Output}\n--- server console:\n{server.Output}");
                Assert.Equal(0, clientStatus);
                Assert.Equal(0, serverStatus);

                // Five requests, five replies from the server's address, one per sequence number.
                string ping = client.Output;
                Assert.Contains("5 packets transmitted, 5 packets received, 0% packet loss", ping, StringComparison.Ordinal);
                int[] sequences = [.. Regex.Matches(ping, @"^64 bytes from 10\.0\.2\.2: seq=(?<seq>\d+) ", RegexOptions.Multiline | RegexOptions.ExplicitCapture, s_match)
                    .Select(m => int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture))];
                Assert.Equal([0, 1, 2, 3, 4], sequences);

                // iperf3 ran both ends over TCP: the server saw the client's address, and the
                // client's receiver summary carried data.
                Assert.Contains("Accepted connection from 10.0.2.1", server.Output, StringComparison.Ordinal);
                Match receiver = Regex.Match(client.Output, @"sec\s+(?<bytes>[\d.]+) [KMG]Bytes\s+(?<rate>[\d.]+ [KMG])bits/sec\s+receiver", RegexOptions.ExplicitCapture, s_match);
                Assert.True(receiver.Success, "no iperf3 receiver summary in the client's output");
                Assert.True(double.Parse(receiver.Groups["bytes"].Value, CultureInfo.InvariantCulture) > 0, receiver.Value);
                output.WriteLine($"iperf3 over the dgram link: {receiver.Groups["rate"].Value}bit/s");
            }

            // Disposed: both QEMU processes are gone.
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"QEMU pid {pid} still exists"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_command_line_sets_the_mac_and_address_and_the_exit_status_comes_back()
    {
        // A hub with no other port: the NIC exists and nothing leaves the guest.
        using QemuGuest guest = QemuGuest.Start(new QemuGuestOptions
        {
            Netdev = "hubport,hubid=0",
            Mac = "52:54:00:5e:00:10",
            Address = "10.0.2.9/24",
            KernelArguments = ["suphost.mac=52:54:00:5e:00:99"],
            Command = "cat /sys/class/net/eth0/address; ip -o -4 addr show dev eth0; echo 'three   spaces'; exit 7",
        });
        Assert.Equal("10.0.2.9", guest.WaitForReady(s_boot));
        Report(guest);
        Assert.Equal(7, guest.WaitForExit(s_run));
        string console = guest.Output;
        output.WriteLine(console);
        Assert.Contains("\n52:54:00:5e:00:99\n", console, StringComparison.Ordinal);
        Assert.True(Regex.IsMatch(console, @"eth0\s+inet 10\.0\.2\.9/24 ", RegexOptions.None, s_match), "eth0 lacks 10.0.2.9/24");
        // Spaces inside the quoted value survive the kernel's split and the init's parse.
        Assert.Contains("three   spaces", console, StringComparison.Ordinal);
        Assert.DoesNotContain("SUPHOST-GUEST-ERROR", console, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_step_in_the_guest_ends_the_wait_at_once_with_its_message()
    {
        using QemuGuest guest = QemuGuest.Start(new QemuGuestOptions
        {
            Netdev = "hubport,hubid=0",
            Mac = "52:54:00:5e:00:11",
            Address = "not-an-address",
            Command = "echo never runs",
        });
        InvalidOperationException failure = Assert.Throws<InvalidOperationException>(() => guest.WaitForReady(s_boot));
        Assert.Contains("ip addr add not-an-address dev eth0", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("never runs", guest.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_kills_a_guest_that_is_still_running()
    {
        var guest = QemuGuest.Start(new QemuGuestOptions
        {
            Netdev = "hubport,hubid=0",
            Mac = "52:54:00:5e:00:12",
            // The command would outlive the test: only Dispose ends this guest.
            Command = "sleep 3600",
        });
        int pid = guest.Pid;
        try
        {
            Assert.Equal("none", guest.WaitForReady(s_boot));
            Assert.True(Directory.Exists($"/proc/{pid}"), "QEMU ended on its own");
        }
        finally
        {
            guest.Dispose();
        }

        Assert.False(Directory.Exists($"/proc/{pid}"), $"QEMU pid {pid} outlived Dispose");
        guest.Dispose();
    }

    private void Report(QemuGuest guest)
    {
        // The init's own line: its start and eth0's, in seconds of the guest's uptime.
        string? line = guest.Output.Split('\n').FirstOrDefault(l => l.StartsWith("suphost: init started", StringComparison.Ordinal));
        output.WriteLine($"{guest.Name}: ready {guest.ReadyAfter.TotalSeconds:F2} s after starting QEMU ({line?.Trim()})");
    }
}
