using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// The 16 bytes in front of a page of a listing: next start index @0 (u32; 0 when this page is the
/// last), entries in the whole listing @4, entries in this page @8, the largest output size the
/// daemon accepts @12. The page's entries follow as a JSON array.
/// </summary>
/// <param name="Next">The start index of the next page, or 0 when there is none.</param>
/// <param name="Total">Entries in the whole listing when the page was made.</param>
/// <param name="Count">Entries in this page.</param>
/// <param name="MaxOutput">The largest output size a request to this daemon may give.</param>
public readonly record struct ListingPage(uint Next, uint Total, uint Count, uint MaxOutput)
{
    /// <summary>Size of the fixed part, before the JSON array.</summary>
    public const int Size = 16;

    /// <summary>Writes the fixed part.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Next);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Total);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Count);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], MaxOutput);
    }

    /// <summary>Reads the fixed part.</summary>
    public static ListingPage Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
}
