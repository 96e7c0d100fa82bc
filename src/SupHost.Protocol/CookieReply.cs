using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Cookie reply (24 bytes): session cookie @0 (u64), server version @8, session id @12, session flags @16, reserved @20.</summary>
/// <param name="Cookie">The session cookie every later request carries.</param>
/// <param name="ServerVersion">The server's interface version.</param>
/// <param name="SessionId">The session's id, as <c>supctl sessions</c> shows it.</param>
/// <param name="Restricted">The session came through the restricted endpoint.</param>
public readonly record struct CookieReply(ulong Cookie, uint ServerVersion, uint SessionId, bool Restricted)
{
    /// <summary>Payload size.</summary>
    public const int Size = 24;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], ServerVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], SessionId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Restricted ? 1u : 0u);
    }

    /// <summary>Reads the payload.</summary>
    public static CookieReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]),
        (BinaryPrimitives.ReadUInt32LittleEndian(source[16..]) & 1) != 0);
}
