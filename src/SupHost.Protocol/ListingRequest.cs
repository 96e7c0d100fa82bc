using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// The paged form of a listing request (8 bytes): start index @0 (u32; 0 for the first page, then
/// the page's <see cref="ListingPage.Next"/>), reserved @4. A listing request with no input asks
/// for the whole listing in one reply instead.
/// </summary>
/// <param name="Start">Index of the first entry wanted.</param>
public readonly record struct ListingRequest(uint Start)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Start);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], 0);
    }

    /// <summary>Reads the payload; <paramref name="reserved"/> must be checked to be zero.</summary>
    public static ListingRequest Read(ReadOnlySpan<byte> source, out uint reserved)
    {
        reserved = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        return new ListingRequest(BinaryPrimitives.ReadUInt32LittleEndian(source));
    }
}
