namespace SupHost.Client;

/// <summary>The file formats a <see cref="CaptureFileWriter"/> writes.</summary>
public enum CaptureFileFormat
{
    /// <summary>libpcap with nanosecond timestamps (magic 0xa1b23c4d), LINKTYPE_ETHERNET.</summary>
    Pcap = 0,

    /// <summary>pcapng: a section header, one Ethernet interface with if_tsresol 9 (nanoseconds), an enhanced packet block per frame.</summary>
    PcapNg = 1,
}
