using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Supd;

/// <summary>
/// sd_notify(3) readiness for a supervisor that is not systemd itself (a test fixture, a container
/// init): when NOTIFY_SOCKET is set and the host's systemd integration is not active, send
/// READY=1 once the sockets accept. Under systemd, the host's SystemdLifetime does this.
/// </summary>
internal sealed partial class ReadyNotifier
{
    private readonly string? _socketPath = SystemdHelpers.IsSystemdService() ? null : Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
    private readonly ILogger<ReadyNotifier> _logger;

    public ReadyNotifier(ILogger<ReadyNotifier> logger) => _logger = logger;

    public void NotifyReady() => Send($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=accepting");

    public void NotifyStopping() => Send("STOPPING=1");

    private void Send(string state)
    {
        if (string.IsNullOrEmpty(_socketPath))
        {
            return;
        }

        // A leading '@' names an abstract socket (sd_notify(3)).
        string path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException ex)
        {
            // As sd_notify(3): a supervisor that stopped listening is not the daemon's failure.
            NotifyFailed(_logger, _socketPath, ex.Message);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Notifying {Socket} failed: {Reason}")]
    private static partial void NotifyFailed(ILogger logger, string socket, string reason);
}
