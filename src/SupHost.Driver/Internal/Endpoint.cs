using Microsoft.Extensions.Logging;
using SupHost.Native;

namespace SupHost.Driver.Internal;

/// <summary>
/// One listening socket (full or restricted) and the thread that accepts on it. Accepting blocks
/// in the kernel; <see cref="Stop"/> shuts the socket down, which wakes the thread.
/// </summary>
internal sealed class Endpoint
{
    private readonly SupDriver _driver;
    private readonly ILogger _logger;
    private readonly SafeFd _listener;
    private readonly Thread _thread;
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

    public void Start() => _thread.Start();

    public void Stop()
    {
        _stopping = true;
        Libc.Shutdown(_listener);
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _listener.Dispose();
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

                DriverLog.AcceptFailed(_logger, ex, Path);

                // Out of descriptors or memory: back off a little instead of spinning on the error.
                Thread.Sleep(ex.Errno is Errno.EMFILE or Errno.ENOMEM ? 100 : 10);
                continue;
            }

            _driver.Accept(connection, Restricted);
        }
    }
}
