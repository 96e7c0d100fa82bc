namespace SupHost.Protocol;

/// <summary>GIP clock minus CLOCK_MONOTONIC, over samples taken by a reader.</summary>
public sealed record GipDeviation
{
    /// <summary>How many samples.</summary>
    public required int Samples { get; init; }

    /// <summary>Over how long, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>Median of |GIP − CLOCK_MONOTONIC|, nanoseconds.</summary>
    public required double MedianAbsNs { get; init; }

    /// <summary>Largest |GIP − CLOCK_MONOTONIC|, nanoseconds.</summary>
    public required double MaxAbsNs { get; init; }

    /// <summary>Mean of GIP − CLOCK_MONOTONIC (signed), nanoseconds.</summary>
    public required double MeanNs { get; init; }

    /// <summary>Median time between the two CLOCK_MONOTONIC reads around a GIP read: the resolution of the comparison.</summary>
    public required double MedianBracketNs { get; init; }

    /// <summary>Largest such time among the samples kept (samples over 2 µs are retaken).</summary>
    public required double MaxBracketNs { get; init; }
}
