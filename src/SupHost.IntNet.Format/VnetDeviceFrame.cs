namespace SupHost.IntNet.Format;

/// <summary>
/// Frames between the switch and a device that speaks virtio_net_hdr (a TAP with IFF_VNET_HDR, a
/// packet socket with PACKET_VNET_HDR), in buffers of the caller's: a switch entry (a frame, or a
/// GSO context and its super-frame) written behind a header for the device, and what the device
/// gave turned, in place, into a switch entry. Nothing is allocated.
/// </summary>
/// <remarks>
/// A read goes to <see cref="ReadOffset"/>: the 10-byte header at 2 to 12 and the frame from 12, so
/// that a GSO context (8 bytes) fits at 4 to 12, right in front of the frame, without a copy.
/// </remarks>
public static class VnetDeviceFrame
{
    /// <summary>Where a device read goes in the caller's buffer.</summary>
    public const int ReadOffset = 2;

    /// <summary>The largest frame either way: an IP packet of 65,535 bytes, its Ethernet header and one VLAN tag, and a GSO header block of at most 255 bytes.</summary>
    public const int MaxFrame = 65_535 + 14 + 4 + 255;

    /// <summary>The size of a read buffer: <see cref="ReadOffset"/>, a header and <see cref="MaxFrame"/>.</summary>
    public const int ReadBufferSize = ReadOffset + VirtioNetHeader.Size + MaxFrame;

    /// <summary>The size of a write buffer: a header and <see cref="MaxFrame"/>.</summary>
    public const int WriteBufferSize = VirtioNetHeader.Size + MaxFrame;

    /// <summary>
    /// The size of a head buffer for <see cref="ToDeviceHead"/>: a header and the largest header
    /// block a GSO context describes (255 bytes).
    /// </summary>
    public const int HeadBufferSize = VirtioNetHeader.Size + byte.MaxValue;

    /// <summary>
    /// Turns what a device read put at <paramref name="buffer"/>[<see cref="ReadOffset"/>..] (<paramref name="read"/>
    /// bytes: a header and a frame) into a switch entry in place: <see cref="VirtioNetHeaderConversion.Plain"/>
    /// with the frame, <see cref="VirtioNetHeaderConversion.Gso"/> with the context and the super-frame, at
    /// <paramref name="start"/> for <paramref name="length"/> bytes; anything else (shorter than a header and an
    /// Ethernet header, a header the frame contradicts, a GSO type the switch has no context for) is the
    /// device's bad frame.
    /// </summary>
    public static VirtioNetHeaderConversion FromDevice(Span<byte> buffer, int read, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (read < VirtioNetHeader.Size + 14 || read > buffer.Length - ReadOffset)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        int frameStart = ReadOffset + VirtioNetHeader.Size;
        Span<byte> frame = buffer.Slice(frameStart, read - VirtioNetHeader.Size);
        VirtioNetHeaderConversion conversion = VirtioNetHeader.Read(buffer.Slice(ReadOffset, VirtioNetHeader.Size)).ToGso(frame, out GsoContext gso);
        switch (conversion)
        {
            case VirtioNetHeaderConversion.Plain:
                (start, length) = (frameStart, frame.Length);
                break;
            case VirtioNetHeaderConversion.Gso:
                start = frameStart - GsoContext.Size;
                gso.Write(buffer.Slice(start, GsoContext.Size));
                length = GsoContext.Size + frame.Length;
                break;
        }

        return conversion;
    }

    /// <summary>
    /// Writes a switch entry for the device into <paramref name="destination"/> (at least
    /// <see cref="WriteBufferSize"/> bytes, or the entry's size and a header): a frame behind a
    /// zero header, or, <paramref name="gso"/>, the super-frame behind the header its context makes
    /// (its headers rewritten for the device, docs/gso.md). Returns the bytes to write, or -1 for an
    /// entry that is too large, too small or whose context the frame contradicts.
    /// </summary>
    public static int ToDevice(ReadOnlySpan<byte> entry, bool gso, Span<byte> destination)
    {
        int body = gso ? entry.Length - GsoContext.Size : entry.Length;
        if (body < 1 || body > MaxFrame || destination.Length < VirtioNetHeader.Size + body)
        {
            return -1;
        }

        Span<byte> frame = destination.Slice(VirtioNetHeader.Size, body);
        if (!gso)
        {
            destination[..VirtioNetHeader.Size].Clear();
            entry.CopyTo(frame);
            return VirtioNetHeader.Size + body;
        }

        entry[GsoContext.Size..].CopyTo(frame);
        if (!VirtioNetHeader.TryFromGso(GsoContext.Read(entry), frame, out VirtioNetHeader header))
        {
            return -1;
        }

        header.Write(destination);
        return VirtioNetHeader.Size + body;
    }

    /// <summary>
    /// What <see cref="ToDevice"/> writes, as two parts for a gather write, so that the frame's
    /// payload goes to the device from where it lies: <paramref name="head"/> (at least
    /// <see cref="HeadBufferSize"/> bytes) gets the header and, for a GSO entry, a copy of the
    /// super-frame's header block rewritten for the device (docs/gso.md); the entry itself is never
    /// written. Returns the head's length, and in <paramref name="bodyStart"/> where in
    /// <paramref name="entry"/> the rest of the frame goes on (the body, <c>entry[bodyStart..]</c>;
    /// never empty: a GSO frame of headers alone is refused); -1 as <see cref="ToDevice"/>.
    /// </summary>
    public static int ToDeviceHead(ReadOnlySpan<byte> entry, bool gso, Span<byte> head, out int bodyStart)
    {
        bodyStart = 0;
        int body = gso ? entry.Length - GsoContext.Size : entry.Length;
        if (body < 1 || body > MaxFrame || head.Length < HeadBufferSize)
        {
            return -1;
        }

        if (!gso)
        {
            head[..VirtioNetHeader.Size].Clear();
            return VirtioNetHeader.Size;
        }

        // Only the header block is rewritten (lengths, IPv4 checksum, pseudo-header sum): in the
        // head, behind the device header; the payload behind it is the entry's, untouched.
        GsoContext context = GsoContext.Read(entry);
        int headers = context.HeadersLength;
        if (headers >= body)
        {
            return -1;
        }

        Span<byte> block = head.Slice(VirtioNetHeader.Size, headers);
        entry.Slice(GsoContext.Size, headers).CopyTo(block);
        if (!VirtioNetHeader.TryFromGso(context, block, body, out VirtioNetHeader header))
        {
            return -1;
        }

        header.Write(head);
        bodyStart = GsoContext.Size + headers;
        return VirtioNetHeader.Size + headers;
    }
}
