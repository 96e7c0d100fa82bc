using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>
/// A session's connection and the thread that serves it: receive a datagram, dispatch it, send the
/// reply, in a loop that blocks in the kernel (the lowest-latency shape on these machines). The
/// loop ends when the peer closes or dies, when it has not done its handshake within the
/// deadline, or when <see cref="Shutdown"/> shuts the socket down; in every case the driver's one
/// cleanup path runs. The <see cref="ConnectionMonitor"/> watches the socket for a hang-up and
/// cancels <see cref="Session.Closing"/>, which module calls get as their token.
/// </summary>
/// <remarks>
/// Buffers: requests are received, in one recvmsg(2), into a per-connection reservation of the
/// largest request (MAP_NORESERVE: only the pages a datagram fills become resident), and the pages
/// past the first <see cref="SmallBuffer"/> bytes are given back (MADV_DONTNEED) after any request
/// that used them, so an idle connection that once sent a big datagram holds nothing of it. Where
/// the reservation is refused, the request's length is learnt first with MSG_PEEK | MSG_TRUNC and a
/// larger request gets a mapping of its own. Replies: <see cref="SmallBuffer"/> bytes, or a private
/// mapping for a larger output, unmapped once the reply is sent.
/// </remarks>
internal sealed class Connection
{
    /// <summary>What a connection keeps for each direction: every fixed-size request and reply, and every error reply.</summary>
    public const int SmallBuffer = 8192;

    private readonly SupDriver _driver;
    private readonly ILogger _logger;
    private readonly SafeFd _fd;
    private MappedMemory? _requestArea;
    private readonly CancellationTokenSource _closing;
    private readonly Thread _thread;
    private readonly long _connectedAt = Stopwatch.GetTimestamp();
    private readonly int _largestSend;
    private string? _shutdownReason;
    private long _request;
    private int _inRequest;
    private int _current;

    public Connection(SupDriver driver, ILogger logger, SafeFd fd, Session session, CancellationTokenSource closing, int largestSend)
    {
        _driver = driver;
        _logger = logger;
        _fd = fd;
        _closing = closing;
        _largestSend = largestSend;
        Session = session;
        _thread = new Thread(Serve, maxStackSize: 256 * 1024) { IsBackground = true, Name = $"supd session {session.Id}" };
    }

    public Session Session { get; }

    /// <summary>The function being served now (or last).</summary>
    public SupFunction Current => (SupFunction)Volatile.Read(ref _current);

    /// <summary>Set by the monitor once a cancelled call of this connection ran past the grace.</summary>
    public bool IgnoredCancellation { get; set; }

    public void Start()
    {
        _driver.Monitor.Watch(this, _fd);
        _thread.Start();
    }

    /// <summary>Whether a request is being served, and which (a number that grows with each).</summary>
    public bool InRequest(out long request)
    {
        request = Interlocked.Read(ref _request);
        return Volatile.Read(ref _inRequest) != 0;
    }

    /// <summary>Cancels the session's token (the client hung up); returns whether a request was running.</summary>
    public bool Cancel()
    {
        CancelQuietly();
        return Volatile.Read(ref _inRequest) != 0;
    }

    /// <summary>Ends the connection from the daemon's side; the first reason given is the one recorded.</summary>
    public void Shutdown(string reason)
    {
        Interlocked.CompareExchange(ref _shutdownReason, reason, null);
        Libc.Shutdown(_fd);
        CancelQuietly();
    }

    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void CancelQuietly()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session ended already.
        }
        catch (AggregateException ex)
        {
            // A module's registration callback threw: the token is cancelled all the same.
            DriverLog.ConnectionFailed(_logger, ex, Session.Id, Session.ProcessId);
        }
    }

    private unsafe void Serve()
    {
        _requestArea = Libc.TryReserveAnonymous((_driver.Options.MaxRequestSize + 4095) & ~4095L);
        byte* smallRequest = (byte*)NativeMemory.Alloc(SmallBuffer);
        byte* smallReply = (byte*)NativeMemory.Alloc(SmallBuffer);
        var fds = new List<SafeFd>();
        string? reason = null;
        bool deadlineCleared = false;
        try
        {
            while (reason is null)
            {
                // The handshake deadline: until the Cookie request succeeds, every receive waits
                // only for what is left of it, so no number of bad requests extends it.
                if (!Session.Handshaken)
                {
                    TimeSpan left = _driver.Options.HandshakeTimeout - Stopwatch.GetElapsedTime(_connectedAt);
                    if (left <= TimeSpan.Zero)
                    {
                        reason = HandshakeTimedOut();
                        break;
                    }

                    Libc.SetReceiveTimeout(_fd, left);
                }
                else if (!deadlineCleared)
                {
                    Libc.SetReceiveTimeout(_fd, TimeSpan.Zero);
                    deadlineCleared = true;
                }

                reason = ServeOne(smallRequest, smallReply, fds);
            }
        }
        catch (Exception ex)
        {
            reason = $"the connection failed: {ex.Message}";
            DriverLog.ConnectionFailed(_logger, ex, Session.Id, Session.ProcessId);
        }
        finally
        {
            NativeMemory.Free(smallRequest);
            NativeMemory.Free(smallReply);
            _requestArea?.Dispose();
            _driver.Monitor.Unwatch(this, _fd);
            CancelQuietly();
            _fd.Dispose();
            _driver.EndSession(Session, Volatile.Read(ref _shutdownReason) ?? reason ?? "the client closed the connection");
            _closing.Dispose();
        }
    }

    /// <summary>Receives, dispatches and answers one request; returns why the connection ends, or null to go on.</summary>
    private unsafe string? ServeOne(byte* smallRequest, byte* smallReply, List<SafeFd> fds)
    {
        MappedMemory? largeReply = null;
        ReceiveResult received = ReceiveRequest(smallRequest, fds, out byte* request, out int capacity, out MappedMemory? largeRequest, out bool outOfMemory);
        if (received.Error != Errno.None)
        {
            largeRequest?.Dispose();
            return received.Error == Errno.EAGAIN && !Session.Handshaken ? HandshakeTimedOut() : $"receive failed: {received.Error}";
        }

        // Zero bytes are the end of the connection, or an empty datagram (SOCK_SEQPACKET reads
        // both as 0): the peer's hang-up tells them apart, and an empty datagram is answered.
        if (received.Length == 0 && !received.Truncated && Libc.PeerHungUp(_fd))
        {
            largeRequest?.Dispose();
            return "the client closed the connection";
        }

        try
        {
            var requestBytes = new ReadOnlySpan<byte>(request, Math.Min(received.Length, capacity));

            // The reply buffer: what the request may be answered with, or an error message.
            MessageHeader header = Dispatcher.EchoHeader(requestBytes);
            int maxOutput = _driver.Dispatcher.MaxOutputSize;
            int replyCapacity = ProtocolConstants.HeaderSize + Math.Max(ProtocolConstants.MaxMessageSize, header.OutputSize <= (uint)maxOutput ? (int)header.OutputSize : 0);
            byte* reply = smallReply;
            if (replyCapacity > SmallBuffer && !outOfMemory)
            {
                largeReply = Libc.TryMapAnonymous(replyCapacity);
                outOfMemory = largeReply is null;
                if (largeReply is not null)
                {
                    reply = (byte*)largeReply.DangerousGetHandle();
                }
            }

            int length;
            SafeFd? descriptor = null;
            Abi.ModuleCallDescriptors? transfer = null;
            Volatile.Write(ref _current, (int)header.Function);
            Interlocked.Increment(ref _request);
            Volatile.Write(ref _inRequest, 1);
            try
            {
                length = outOfMemory
                    ? Dispatcher.WriteRefusal(new Span<byte>(smallReply, SmallBuffer), header, SupStatus.GeneralFailure, $"the daemon is out of memory for a request of {received.Length} bytes and a reply of up to {replyCapacity} bytes")
                    : _driver.Dispatcher.Process(Session, requestBytes, received.Length, fds, received.ControlTruncated, new Span<byte>(reply, Math.Max(replyCapacity, SmallBuffer)), out descriptor, out transfer);
            }
            finally
            {
                Volatile.Write(ref _inRequest, 0);

                // What the request carried and no module call took (the dispatcher empties the
                // list of what it takes) is closed here, whatever happened.
                foreach (SafeFd fd in fds)
                {
                    fd.Dispose();
                }

                fds.Clear();
            }

            try
            {
                return Reply(header, outOfMemory ? smallReply : reply, length, descriptor, transfer, smallReply);
            }
            finally
            {
                // The reply's descriptors are the daemon's until sent; sent or not (a client that
                // died), they are closed now: the client's copies are its own (SCM_RIGHTS).
                transfer?.CloseAll();
            }
        }
        finally
        {
            largeRequest?.Dispose();
            largeReply?.Dispose();

            // A request that filled pages past the small buffer gives them back at once.
            if (_requestArea is not null && received.Length > SmallBuffer)
            {
                Libc.Discard(_requestArea, SmallBuffer, Math.Min(received.Length, capacity) - SmallBuffer);
            }
        }
    }

    /// <summary>
    /// Receives the next request and its descriptors: in one call into the reservation, or, without
    /// one, after a peek at its length into the small buffer or a mapping of its own
    /// (<paramref name="outOfMemory"/> when that mapping was refused).
    /// </summary>
    private unsafe ReceiveResult ReceiveRequest(byte* smallRequest, List<SafeFd> fds, out byte* request, out int capacity, out MappedMemory? largeRequest, out bool outOfMemory)
    {
        largeRequest = null;
        outOfMemory = false;
        if (_requestArea is not null)
        {
            // One receive of the whole datagram and its descriptors into the reservation.
            request = (byte*)_requestArea.DangerousGetHandle();
            capacity = (int)Math.Min(_requestArea.Length, _driver.Options.MaxRequestSize);
            return Libc.ReceiveMessage(_fd, request, capacity, fds);
        }

        // No reservation: learn the datagram's length without taking it (nor its descriptors).
        request = smallRequest;
        capacity = SmallBuffer;
        ReceiveResult peeked = Libc.ReceiveMessage(_fd, smallRequest, ProtocolConstants.HeaderSize, null, ReceiveOptions.Peek);
        if (peeked.Error != Errno.None)
        {
            return peeked;
        }

        if (peeked.Length > SmallBuffer && peeked.Length <= _driver.Options.MaxRequestSize)
        {
            largeRequest = Libc.TryMapAnonymous(peeked.Length);
            outOfMemory = largeRequest is null;
            if (largeRequest is not null)
            {
                request = (byte*)largeRequest.DangerousGetHandle();
                capacity = peeked.Length;
            }
        }

        return Libc.ReceiveMessage(_fd, request, capacity, fds);
    }

    /// <summary>
    /// Sends the reply. A reply the socket cannot take (EMSGSIZE, ENOBUFS, ENOMEM, ETOOMANYREFS...)
    /// is replaced by a short <see cref="SupStatus.ReplyNotSent"/> error saying why, and the session
    /// lives on; only a gone peer (or a second failure) ends it, with the reason returned.
    /// </summary>
    private unsafe string? Reply(MessageHeader request, byte* reply, int length, SafeFd? descriptor, Abi.ModuleCallDescriptors? transfer, byte* scratch)
    {
        Errno sent;
        if (transfer is { Reply.Count: > 0 })
        {
            // Checked by the loader: each is a SafeFd the daemon issued, in the module's order.
            var fds = new SafeFd[transfer.Reply.Count];
            for (int i = 0; i < fds.Length; i++)
            {
                fds[i] = (SafeFd)transfer.Reply[i].Handle;
            }

            sent = Libc.SendMessage(_fd, reply, length, fds);
        }
        else
        {
            sent = descriptor is null
                ? Libc.SendMessage(_fd, reply, length)
                : Libc.SendMessage(_fd, reply, length, [descriptor]);
        }

        if (sent == Errno.None)
        {
            return null;
        }

        if (sent is Errno.EPIPE or Errno.ECONNRESET or Errno.ENOTCONN)
        {
            return $"send failed: {sent}";
        }

        if (sent == Errno.EAGAIN)
        {
            return $"the client has not read its replies for {SendTimeout.TotalSeconds} s";
        }

        DriverLog.ReplyNotSent(_logger, Session.Id, Session.ProcessId, request.Function, length, sent.ToString(), _largestSend);
        string message = $"the {request.Function} reply of {length} bytes could not be sent: {sent}"
            + (sent == Errno.EMSGSIZE ? $" (the socket takes at most {_largestSend} bytes)" : string.Empty)
            + "; what the request did stands";
        int errorLength = Dispatcher.WriteRefusal(new Span<byte>(scratch, SmallBuffer), request, SupStatus.ReplyNotSent, message);
        Errno again = Libc.SendMessage(_fd, scratch, errorLength);
        return again == Errno.None ? null : $"send failed: {sent}, then {again} for the error reply";
    }

    /// <summary>How long a send may wait for a client that does not read its replies.</summary>
    public static TimeSpan SendTimeout { get; } = TimeSpan.FromSeconds(30);

    private string HandshakeTimedOut()
    {
        DriverLog.HandshakeTimedOut(_logger, Session.Id, Session.ProcessId, Session.UserId, _driver.Options.HandshakeTimeout.TotalSeconds);
        return $"no handshake within {_driver.Options.HandshakeTimeout.TotalSeconds} s";
    }
}
