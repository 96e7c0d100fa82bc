using Microsoft.Extensions.Logging;

namespace SupHost.ModuleTesting.Internal;

/// <summary>
/// The logger factory the hosted driver gets: every line is kept (the newest
/// <see cref="MaxEntries"/>) for <see cref="ModuleTestHost.Log"/> and passed on to the test's own
/// factory, if it gave one.
/// </summary>
internal sealed class LogCapture(ILoggerFactory forward) : ILoggerFactory
{
    /// <summary>Lines kept; older ones are dropped first.</summary>
    public const int MaxEntries = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<TestLogEntry> _entries = new();

    public IReadOnlyList<TestLogEntry> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries];
        }
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName, forward.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => forward.AddProvider(provider);

    /// <summary>Nothing to release: the forward factory is the test's.</summary>
    public void Dispose()
    {
    }

    private void Add(TestLogEntry entry)
    {
        lock (_lock)
        {
            if (_entries.Count == MaxEntries)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(entry);
        }
    }

    private sealed class CapturingLogger(LogCapture capture, string category, ILogger forward) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => forward.BeginScope(state);

        // Every level is kept, Debug too: the lines about descriptors and made resources are Debug.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            capture.Add(new TestLogEntry(logLevel, eventId.Id, category, formatter(state, exception), exception?.ToString()));
            if (forward.IsEnabled(logLevel))
            {
                forward.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
