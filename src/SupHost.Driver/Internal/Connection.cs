using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>
/// A session's connection and the thread that serves it: receive a datagram, dispatch it, send the
/// reply, in a loop that blocks in the kernel (the lowest-latency shape on these machines). The
/// loop ends when the peer closes or dies, or when <see cref="Shutdown"/> shuts the socket down; in
/// both cases the driver's one cleanup path runs.
/// </summary>
internal sealed class Connection
{
    private readonly SupDriver _driver;
    private readonly ILogger _logger;
    private readonly SafeFd _fd;
    private readonly Thread _thread;
    private string? _shutdownReason;

    public Connection(SupDriver driver, ILogger logger, SafeFd fd, Session session)
    {
        _driver = driver;
        _logger = logger;
        _fd = fd;
        Session = session;
        _thread = new Thread(Serve, maxStackSize: 256 * 1024) { IsBackground = true, Name = $"supd session {session.Id}" };
    }

    public Session Session { get; }

    public void Start() => _thread.Start();

    /// <summary>Ends the connection from the daemon's side; the first reason given is the one recorded.</summary>
    public void Shutdown(string reason)
    {
        Interlocked.CompareExchange(ref _shutdownReason, reason, null);
        Libc.Shutdown(_fd);
    }

    public void Join(TimeSpan timeout) => _thread.Join(timeout);

    private unsafe void Serve()
    {
        int requestCapacity = _driver.Options.MaxRequestSize;
        int replyCapacity = ProtocolConstants.HeaderSize + Math.Max(_driver.Dispatcher.MaxOutputSize, ProtocolConstants.MaxMessageSize);

        // malloc'ed buffers of the full limit: the kernel backs only the pages a request touches.
        byte* request = (byte*)NativeMemory.Alloc((nuint)requestCapacity);
        byte* reply = (byte*)NativeMemory.Alloc((nuint)replyCapacity);
        var fds = new List<SafeFd>();
        string reason = "the client closed the connection";
        try
        {
            while (true)
            {
                ReceiveResult received = Libc.ReceiveMessage(_fd, request, requestCapacity, fds);
                if (received.Error != Errno.None)
                {
                    reason = $"receive failed: {received.Error}";
                    break;
                }

                if (received.Length == 0 && !received.Truncated)
                {
                    break;
                }

                bool carriedDescriptors = fds.Count > 0 || received.ControlTruncated;
                foreach (SafeFd fd in fds)
                {
                    fd.Dispose();
                }

                fds.Clear();
                int length = _driver.Dispatcher.Process(
                    Session,
                    new ReadOnlySpan<byte>(request, Math.Min(received.Length, requestCapacity)),
                    received.Length,
                    carriedDescriptors,
                    new Span<byte>(reply, replyCapacity),
                    out SafeFd? descriptor);
                Errno sent = descriptor is null
                    ? Libc.SendMessage(_fd, reply, length)
                    : Libc.SendMessage(_fd, reply, length, [descriptor]);
                if (sent != Errno.None)
                {
                    reason = $"send failed: {sent}";
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            reason = $"the connection failed: {ex.Message}";
            DriverLog.ConnectionFailed(_logger, ex, Session.Id, Session.ProcessId);
        }
        finally
        {
            NativeMemory.Free(request);
            NativeMemory.Free(reply);
            _fd.Dispose();
            _driver.EndSession(this, Volatile.Read(ref _shutdownReason) ?? reason);
        }
    }
}
