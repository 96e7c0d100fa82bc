namespace SupHost.Abi;

/// <summary>A worker started by <see cref="IModuleThreads.Start"/>. Disposing it stops it (cancels and joins).</summary>
public interface IModuleWorker : IDisposable
{
    /// <summary>The name it was started with.</summary>
    string Name { get; }

    /// <summary>Whether its body is still running.</summary>
    bool IsRunning { get; }

    /// <summary>
    /// Cancels the worker's token and waits up to <paramref name="timeout"/> for its body to
    /// return; true when it has. Called from the worker itself it only cancels, and returns false.
    /// </summary>
    bool CancelAndJoin(TimeSpan timeout);
}
