using Microsoft.Extensions.Logging;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Events;

/// <summary>
/// Signals eventfds the daemon shares with clients without ever blocking. A client holds the same
/// open file description and may clear O_NONBLOCK on it (and cannot be stopped: the flag belongs to
/// the description, and an eventfd cannot be reopened through /proc for a description of the
/// daemon's own). write(2) on a blocking eventfd at 0xfffffffffffffffe sleeps until someone reads,
/// and pwritev2's RWF_NOWAIT is refused on an eventfd; checking the flag or the counter first is a
/// race the client wins. So the signal is the kernel's own eventfd_signal(), reached through Linux
/// AIO: one context for the daemon, and per signal an IOCB_CMD_POLL of <see cref="_ready"/> (an
/// eventfd holding 1 that nobody reads, so always readable) with IOCB_FLAG_RESFD naming the target.
/// The poll completes inside io_submit, and the completion adds one to the target's counter,
/// saturating at 2^64-1 (fs/aio.c aio_complete, fs/eventfd.c eventfd_signal_mask).
/// <para>
/// Completions are queued in the context's ring until reaped: io_submit is thread safe, the reaping
/// is done under <see cref="_reapLock"/> every <see cref="ReapBatch"/> submissions, and whenever a
/// submission finds the ring full (EAGAIN).
/// </para>
/// <para>
/// Without AIO (io_setup fails: fs.aio-max-nr reached, or ENOSYS) there is no safe way to signal a
/// shared eventfd from the daemon, so the daemon does not: <see cref="Signal"/> answers
/// <see cref="SupStatus.SignalUnavailable"/>, io_setup is tried again at most once a second, and
/// clients keep signalling their own descriptors (blocking themselves if they chose to).
/// </para>
/// </summary>
internal sealed class EventSignaller : IDisposable
{
    /// <summary>Requests the context holds in flight; completions are reaped long before it fills.</summary>
    private const int ContextSize = 256;

    /// <summary>Submissions between two reaps.</summary>
    private const int ReapBatch = 64;

    private static readonly long s_retryTicks = TimeSpan.FromSeconds(1).Ticks;

    private readonly ILogger _logger;
    private readonly Lock _reapLock = new();
    private readonly Lock _setupLock = new();
    private readonly SafeFd _ready;
    private AioContext? _context;
    private string? _unavailable;
    private long _nextSetup;
    private int _unreaped;
    private bool _disposed;

    public EventSignaller(ILogger logger)
    {
        _logger = logger;
        _ready = Libc.CreateEvent(initialValue: 1);
        TrySetUp();
    }

    /// <summary>Why the daemon cannot signal, or null when it can.</summary>
    public string? Unavailable => Volatile.Read(ref _unavailable);

    /// <summary>Adds one to <paramref name="target"/>'s counter, never blocking; a status and message when it could not.</summary>
    public SupStatus Signal(SafeFd target, out string? message)
    {
        AioContext? context = Volatile.Read(ref _context) ?? TrySetUp();
        if (context is null)
        {
            message = $"the daemon cannot signal events: Linux AIO is unavailable ({Unavailable}); signal the event's descriptor instead";
            return SupStatus.SignalUnavailable;
        }

        for (int attempt = 0; ; attempt++)
        {
            Errno errno;
            try
            {
                errno = Libc.SignalEventThroughAio(context, _ready, target);
            }
            catch (ObjectDisposedException)
            {
                message = "the daemon is stopping";
                return SupStatus.ShuttingDown;
            }

            if (errno == Errno.None)
            {
                if (Interlocked.Increment(ref _unreaped) >= ReapBatch && _reapLock.TryEnter())
                {
                    try
                    {
                        Reap(context);
                    }
                    finally
                    {
                        _reapLock.Exit();
                    }
                }

                message = null;
                return SupStatus.Success;
            }

            if (errno != Errno.EAGAIN || attempt == 2)
            {
                return ErrnoStatus.StatusOf(new NativeException("io_submit(IOCB_CMD_POLL)", errno), "signalling the eventfd", out message);
            }

            // The ring holds ContextSize completions nobody reaped yet: reap them, then retry.
            lock (_reapLock)
            {
                Reap(context);
            }
        }
    }

    public void Dispose()
    {
        AioContext? context;
        lock (_setupLock)
        {
            _disposed = true;
            context = Interlocked.Exchange(ref _context, null);
        }

        context?.Dispose();
        _ready.Dispose();
    }

    private void Reap(AioContext context)
    {
        try
        {
            int reaped;
            do
            {
                reaped = Libc.ReapAio(context, ReapBatch);
                Interlocked.Add(ref _unreaped, -reaped);
            }
            while (reaped == ReapBatch);
        }
        catch (Exception ex) when (ex is NativeException or ObjectDisposedException)
        {
            EventLog.ReapFailed(_logger, ex);
        }
    }

    private AioContext? TrySetUp()
    {
        lock (_setupLock)
        {
            if (_disposed || _context is not null || DateTime.UtcNow.Ticks < _nextSetup)
            {
                return _context;
            }

            try
            {
                _context = Libc.SetUpAio(ContextSize);
                if (_unavailable is not null)
                {
                    EventLog.AioRecovered(_logger);
                }

                _unavailable = null;
            }
            catch (NativeException ex)
            {
                _nextSetup = DateTime.UtcNow.Ticks + s_retryTicks;
                if (_unavailable is null)
                {
                    EventLog.AioUnavailable(_logger, ex.Message);
                }

                _unavailable = ex.Message;
            }

            return _context;
        }
    }
}
