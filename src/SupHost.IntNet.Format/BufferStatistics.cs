namespace SupHost.IntNet.Format;

/// <summary>
/// The buffer-wide counters after the two ring structures (INTNETBUF's statistics), which the switch
/// keeps and publishes for the client to read; informational only, nobody acts on them.
/// </summary>
/// <param name="YieldsOk">Deliveries into a full receive ring that succeeded after the switch yielded.</param>
/// <param name="YieldsNotOk">Deliveries into a full receive ring that still failed after the switch yielded.</param>
/// <param name="Lost">Frames the switch could not deliver into this interface's receive ring (full or corrupt).</param>
/// <param name="BadFrames">Bad entries the switch found in this interface's send ring (and GSO frames it refused).</param>
public readonly record struct BufferStatistics(ulong YieldsOk, ulong YieldsNotOk, ulong Lost, ulong BadFrames);
