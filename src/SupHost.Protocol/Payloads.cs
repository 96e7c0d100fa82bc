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

/// <summary>Object registration (80 bytes): type @0, mode @4 (Unix permission bits), flags @8, reserved @12, name [64] @16 (empty: unnamed).</summary>
/// <param name="Type">The object type.</param>
/// <param name="Mode">Permission bits: group bits (0o070) let the owner's group in, other bits (0o007) everyone.</param>
/// <param name="Flags">Registration flags.</param>
/// <param name="Name">The name others open it by, or null for an unnamed object.</param>
public readonly record struct ObjectRegisterRequest(ObjectTypeId Type, uint Mode, ObjectFlags Flags, string? Name)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16 + ProtocolConstants.NameFieldSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)Flags);
        if (!string.IsNullOrEmpty(Name))
        {
            NameField.Write(destination.Slice(16, ProtocolConstants.NameFieldSize), Name);
        }
    }

    /// <summary>The type, mode and flags fields; the name field is read with <see cref="NameField"/>.</summary>
    public static (ObjectTypeId Type, uint Mode, uint Flags, uint Reserved) ReadFixed(ReadOnlySpan<byte> source) => (
        (ObjectTypeId)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));

    /// <summary>The name field of a payload.</summary>
    public static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> source) => source.Slice(16, ProtocolConstants.NameFieldSize);
}

/// <summary>Object open (72 bytes): type @0, reserved @4, name [64] @8.</summary>
/// <param name="Type">The object type.</param>
/// <param name="Name">The object's name.</param>
public readonly record struct ObjectOpenRequest(ObjectTypeId Type, string Name)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8 + ProtocolConstants.NameFieldSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Type);
        NameField.Write(destination.Slice(8, ProtocolConstants.NameFieldSize), Name);
    }

    /// <summary>The type and reserved fields.</summary>
    public static (ObjectTypeId Type, uint Reserved) ReadFixed(ReadOnlySpan<byte> source) => (
        (ObjectTypeId)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));

    /// <summary>The name field of a payload.</summary>
    public static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> source) => source.Slice(8, ProtocolConstants.NameFieldSize);
}

/// <summary>A request that names one handle (8 bytes).</summary>
/// <param name="Handle">The handle.</param>
public readonly record struct HandleRequest(ulong Handle)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);

    /// <summary>Reads the payload.</summary>
    public static HandleRequest Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source));
}

/// <summary>A reply that returns one handle (8 bytes).</summary>
/// <param name="Handle">The handle.</param>
public readonly record struct HandleReply(ulong Handle)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);

    /// <summary>Reads the payload.</summary>
    public static HandleReply Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source));
}

/// <summary>
/// Factory registration (72 + 16·n bytes): name [64] @0, interface count n @64, reserved @68,
/// then n interface ids (GUID, 16 bytes each, <see cref="Guid.TryWriteBytes(Span{byte})"/> order).
/// </summary>
/// <param name="Name">The factory's name.</param>
/// <param name="Interfaces">The interface ids it answers (1 to <see cref="ProtocolConstants.MaxFactoryInterfaces"/>).</param>
public readonly record struct FactoryRegisterRequest(string Name, IReadOnlyList<Guid> Interfaces)
{
    /// <summary>Smallest payload: one interface.</summary>
    public const int MinSize = FixedSize + ProtocolConstants.GuidSize;

    /// <summary>Largest payload.</summary>
    public const int MaxSize = FixedSize + (ProtocolConstants.GuidSize * ProtocolConstants.MaxFactoryInterfaces);

    /// <summary>Bytes before the interface ids.</summary>
    public const int FixedSize = ProtocolConstants.NameFieldSize + 8;

    /// <summary>Payload size for this request.</summary>
    public int Size => FixedSize + (ProtocolConstants.GuidSize * Interfaces.Count);

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        NameField.Write(destination[..ProtocolConstants.NameFieldSize], Name);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ProtocolConstants.NameFieldSize..], (uint)Interfaces.Count);
        for (int i = 0; i < Interfaces.Count; i++)
        {
            Interfaces[i].TryWriteBytes(destination.Slice(FixedSize + (i * ProtocolConstants.GuidSize), ProtocolConstants.GuidSize));
        }
    }

    /// <summary>The interface count field.</summary>
    public static uint CountOf(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source[ProtocolConstants.NameFieldSize..]);

    /// <summary>The reserved field.</summary>
    public static uint ReservedOf(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source[(ProtocolConstants.NameFieldSize + 4)..]);

    /// <summary>Interface id number <paramref name="index"/>.</summary>
    public static Guid InterfaceOf(ReadOnlySpan<byte> source, int index) =>
        new(source.Slice(FixedSize + (index * ProtocolConstants.GuidSize), ProtocolConstants.GuidSize));
}

/// <summary>Factory query (80 bytes): name [64] @0, interface id @64.</summary>
/// <param name="Name">The factory name.</param>
/// <param name="Interface">The interface id asked for.</param>
public readonly record struct FactoryQueryRequest(string Name, Guid Interface)
{
    /// <summary>Payload size.</summary>
    public const int Size = ProtocolConstants.NameFieldSize + ProtocolConstants.GuidSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        NameField.Write(destination[..ProtocolConstants.NameFieldSize], Name);
        Interface.TryWriteBytes(destination.Slice(ProtocolConstants.NameFieldSize, ProtocolConstants.GuidSize));
    }

    /// <summary>The interface id of a payload.</summary>
    public static Guid InterfaceOf(ReadOnlySpan<byte> source) => new(source.Slice(ProtocolConstants.NameFieldSize, ProtocolConstants.GuidSize));
}

/// <summary>Factory query reply (16 bytes): factory id @0 (u64), owning session id @8 (0: a module or the daemon), reserved @12.</summary>
/// <param name="FactoryId">The id of the factory that answered.</param>
/// <param name="OwnerSessionId">The session that registered it, or 0.</param>
public readonly record struct FactoryQueryReply(ulong FactoryId, uint OwnerSessionId)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(destination, FactoryId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], OwnerSessionId);
    }

    /// <summary>Reads the payload.</summary>
    public static FactoryQueryReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
}
