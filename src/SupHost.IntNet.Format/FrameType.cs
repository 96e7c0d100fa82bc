namespace SupHost.IntNet.Format;

/// <summary>The type of a ring entry: the top byte of its header's first word (INTNETHDR's u8Type).</summary>
public enum FrameType : byte
{
    /// <summary>Not a type: no entry carries it, and a reader counts an entry with it as bad.</summary>
    Invalid = 0,

    /// <summary>An Ethernet frame (INTNETHDR_TYPE_FRAME).</summary>
    Frame = 0x42,

    /// <summary>Filler a reader consumes without handing it out (INTNETHDR_TYPE_PADDING).</summary>
    Padding = 0x53,

    /// <summary>A GSO super-frame: the 8-byte GSO context, then the headers and payload (INTNETHDR_TYPE_GSO).</summary>
    Gso = 0x64,
}
