using System.Buffers.Binary;
using System.Text;

namespace SupHost.Protocol;

/// <summary>Cookie request (24 bytes): magic string [16], wanted version (major &lt;&lt; 16 | minor) @16, reserved @20.</summary>
/// <param name="Magic">Must be <see cref="ProtocolConstants.CookieMagic"/>.</param>
/// <param name="Version">The interface version the client needs.</param>
public readonly record struct CookieRequest(string Magic, uint Version)
{
    /// <summary>Payload size.</summary>
    public const int Size = 24;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        Encoding.ASCII.GetBytes(Magic, destination[..(ProtocolConstants.CookieMagicLength - 1)]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Version);
    }

    /// <summary>Reads the payload; the magic is the field up to its first NUL (the whole field when none).</summary>
    public static CookieRequest Read(ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> magic = source[..ProtocolConstants.CookieMagicLength];
        int end = magic.IndexOf((byte)0);
        return new CookieRequest(
            Encoding.ASCII.GetString(end < 0 ? magic : magic[..end]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[16..]));
    }
}
