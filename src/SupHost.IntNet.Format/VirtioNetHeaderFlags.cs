namespace SupHost.IntNet.Format;

/// <summary>The <c>flags</c> byte of a virtio_net_hdr (<c>VIRTIO_NET_HDR_F_*</c>, include/uapi/linux/virtio_net.h).</summary>
[Flags]
public enum VirtioNetHeaderFlags : byte
{
    /// <summary>No flag: the frame's checksums are complete (or not the receiver's concern).</summary>
    None = 0,

    /// <summary><c>NEEDS_CSUM</c>: the checksum from <c>csum_start</c> to the end of the frame is still to be
    /// computed and stored at <c>csum_start + csum_offset</c>, whose field holds the pseudo-header sum.</summary>
    NeedsChecksum = 1,

    /// <summary><c>DATA_VALID</c>: the sender checked the checksum (receive side only).</summary>
    DataValid = 2,
}
