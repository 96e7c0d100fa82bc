namespace SupHost.Bench;

/// <summary>
/// One end of an Ethernet frame exchange in the intnet-frames scenario: an interface on an IntNet
/// network (through the switch), or one side of the floor, a pair of shared-memory rings with
/// eventfd doorbells and no switch. Both ends run the same loop over this abstraction.
/// </summary>
internal interface IFramePort : IDisposable
{
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>Blocks until a frame comes; throws when none came for 30 s.</summary>
    int Receive(Span<byte> destination);
}
