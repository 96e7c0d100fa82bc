using System.Diagnostics.CodeAnalysis;

namespace SupHost.IntNet.Format.Internal;

/// <summary>The exceptions of the GSO, checksum and virtio helpers, each naming the value and the limit.</summary>
internal static class GsoThrowHelper
{
    [DoesNotReturn]
    public static void ThrowDestinationTooShort(int length, int needed, string paramName = "destination") =>
        throw new ArgumentException($"destination of {length} bytes is shorter than the {needed} bytes to write", paramName);

    [DoesNotReturn]
    public static void ThrowSourceTooShort(int length, int needed, string paramName = "source") =>
        throw new ArgumentException($"source of {length} bytes is shorter than the {needed} bytes to read", paramName);

    [DoesNotReturn]
    public static void ThrowHeaderTooShort(string header, int length, int needed, string paramName) =>
        throw new ArgumentException($"{header} header of {length} bytes is shorter than its minimum of {needed} bytes", paramName);

    [DoesNotReturn]
    public static void ThrowSegmentIndex(int index, int count, string paramName = "index") =>
        throw new ArgumentOutOfRangeException(paramName, index, $"segment {index} is outside 0..{count - 1}");
}
