namespace SupHost.Abi;

/// <summary>
/// Long-running workers the daemon runs for a module (IPRT's RTThreadCreate of the original). A
/// worker that throws does not take the daemon down: the exception is logged and the module is
/// marked faulted. Every worker is cancelled and joined before the module's
/// <see cref="ISupModule.Terminate"/> runs, so unloading stays verified.
/// </summary>
/// <remarks>
/// Prefer these to <c>new Thread</c> or the thread pool: the daemon can contain an exception from
/// a thread a module started itself only on a best effort basis, and cannot stop or join it.
/// </remarks>
public interface IModuleThreads
{
    /// <summary>
    /// Starts <paramref name="body"/> on a dedicated thread named after the module and
    /// <paramref name="name"/>. The token is cancelled when the worker is stopped, when the module
    /// faults and when it unloads; the body should return soon after (an
    /// <see cref="OperationCanceledException"/> for that token counts as returning).
    /// </summary>
    /// <param name="name">What the worker does, for the thread's name and log lines (1 to 32 characters).</param>
    /// <param name="body">The work; runs once.</param>
    /// <returns>The worker; disposing it stops it.</returns>
    IModuleWorker Start(string name, Action<CancellationToken> body);
}
