namespace SupHost.Abi;

/// <summary>Time for modules.</summary>
public interface IModuleClock
{
    /// <summary>Monotonic nanoseconds (CLOCK_MONOTONIC's epoch).</summary>
    ulong NanoTime { get; }
}
