namespace SupHost.IntNet.Internal;

/// <summary>
/// What one switching thread needs between frames, made once and reused: the ports' views for
/// <see cref="Switching.Decide"/>, the destinations, and the receive rings written in this batch
/// (their doorbells are rung once, at <see cref="Flush"/>).
/// </summary>
internal sealed class SwitchContext
{
    private PortView[] _views = new PortView[16];

    public List<int> Destinations { get; } = new(16);

    public List<SharedBuffer> Touched { get; } = new(16);

    /// <summary>A capture record's 16-byte head.</summary>
    public byte[] RecordHead { get; } = new byte[16];

    /// <summary>
    /// The switch's private copy of a GSO entry (the context and the frame), taken before it is
    /// validated: the sender can rewrite its ring at any moment, the copy it cannot.
    /// </summary>
    public byte[] GsoCopy => _gsoCopy ??= new byte[MaxGsoEntry];

    /// <summary>One segment of a GSO frame, cut for a port that takes no GSO.</summary>
    public byte[] Segment => _segment ??= new byte[MaxGsoEntry];

    /// <summary>
    /// The longest GSO entry a valid context allows: the context, an IP header at most at offset 255,
    /// and an IP packet of at most 65,535 bytes (IPv6: its 40-byte header and 65,535 of payload).
    /// </summary>
    public const int MaxGsoEntry = 8 + 255 + 40 + 65_535;

    private byte[]? _gsoCopy;
    private byte[]? _segment;

    public Span<PortView> Views(int count)
    {
        if (_views.Length < count)
        {
            _views = new PortView[Math.Max(count, _views.Length * 2)];
        }

        return _views.AsSpan(0, count);
    }

    /// <summary>Rings each receive doorbell that is due, once.</summary>
    public void Flush()
    {
        foreach (SharedBuffer buffer in Touched)
        {
            buffer.Flush();
        }

        Touched.Clear();
    }
}
