using Microsoft.Extensions.Logging;
using SupHost.Native;

namespace SupHost.Driver.Internal;

/// <summary>
/// One listening socket (full or restricted) and the thread that accepts on it. Accepting blocks
/// in the kernel; <see cref="Stop"/> shuts the socket down, which wakes the thread.
/// </summary>
/// <remarks>
/// When the daemon's descriptors run out, accept(2) fails with EMFILE/ENFILE and the connection
/// stays in the backlog: a loop that retried would spin on it, and the client would wait or be
/// reset. So the endpoint holds one spare descriptor (/dev/null): on EMFILE/ENFILE it closes it,
/// accepts, answers LimitReached at once, closes, and takes the spare again.
/// </remarks>
internal sealed class Endpoint
{
    private readonly SupDriver _driver;
    private readonly ILogger _logger;
    private readonly SafeFd _listener;
    private readonly Thread _thread;
    private SafeFd? _spare;
    private volatile bool _stopping;

    public Endpoint(SupDriver driver, ILogger logger, string path, bool restricted, SafeFd listener)
    {
        _driver = driver;
        _logger = logger;
        Path = path;
        Restricted = restricted;
        _listener = listener;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = $"supd accept {(restricted ? "restricted" : "full")}" };
    }

    public string Path { get; }

    public bool Restricted { get; }

    public void Start()
    {
        _spare = Libc.TryOpenSpare();
        _thread.Start();
    }

    public void Stop()
    {
        _stopping = true;
        Libc.Shutdown(_listener);
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _listener.Dispose();
        _spare?.Dispose();
        File.Delete(Path);
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            SafeFd connection;
            try
            {
                connection = Libc.Accept(_listener);
            }
            catch (NativeException ex)
            {
                if (_stopping)
                {
                    return;
                }

                if (ex.Errno is Errno.EMFILE or Errno.ENFILE && RefuseWithSpare(ex.Errno))
                {
                    continue;
                }

                DriverLog.AcceptFailed(_logger, ex, Path);

                // No spare to refuse with, or out of memory: back off instead of spinning on the error.
                Thread.Sleep(ex.Errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOMEM ? 100 : 10);
                continue;
            }

            _driver.Accept(connection, Restricted);
        }
    }

    /// <summary>Uses the spare descriptor to take one connection off the backlog and refuse it; false when there is no spare.</summary>
    private bool RefuseWithSpare(Errno error)
    {
        if (_spare is null)
        {
            _spare = Libc.TryOpenSpare();
            return false;
        }

        _spare.Dispose();
        _spare = null;
        try
        {
            _driver.RefuseWithoutDescriptors(Libc.Accept(_listener), Path, error);
        }
        catch (NativeException)
        {
            // Another thread took the freed number first; the next round backs off.
        }
        finally
        {
            _spare = Libc.TryOpenSpare();
        }

        return true;
    }
}
