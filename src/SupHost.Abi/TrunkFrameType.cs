namespace SupHost.Abi;

/// <summary>What a frame crossing a trunk is; the values are those of IntNet's ring entries (INTNETHDR_TYPE_*).</summary>
public enum TrunkFrameType
{
    /// <summary>Not valid.</summary>
    Invalid = 0,

    /// <summary>An Ethernet frame, from the destination address on (14 bytes and more).</summary>
    Frame = 0x42,

    /// <summary>
    /// A GSO super-frame: the 8-byte GSO context (the original's PDMNETWORKGSO, docs/gso.md),
    /// then an Ethernet frame of up to 65,535 bytes whose headers the context describes.
    /// </summary>
    Gso = 0x64,
}
