namespace SupHost.IntNet.Format;

/// <summary>What <see cref="VirtioNetHeader.ToGso"/> made of a frame a TAP or a packet socket handed over.</summary>
public enum VirtioNetHeaderConversion
{
    /// <summary>The header is inconsistent with itself or with the frame: drop the frame and count it bad.</summary>
    Invalid = 0,

    /// <summary>An ordinary frame with complete checksums (a pending checksum was completed in place).</summary>
    Plain = 1,

    /// <summary>A GSO super-frame, described by the context returned beside it.</summary>
    Gso = 2,

    /// <summary>A well-formed GSO frame of a kind IntNet has no context for (UFO over IPv6, USO over IPv4): drop it.</summary>
    Unsupported = 3,
}
