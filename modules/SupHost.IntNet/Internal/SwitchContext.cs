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
