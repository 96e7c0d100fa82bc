using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// The daemon's global information page mapped read-only in this process (SUPR3GipMap), and the
/// <see cref="GipClock"/> over it. While any session maps it the daemon keeps it updated. Dispose it
/// only when no thread reads <see cref="Clock"/> any more: the page is unmapped.
/// </summary>
public sealed unsafe class GipMapping : IDisposable
{
    private readonly SupClient _client;
    private readonly MappedMemory _mapping;
    private int _disposed;

    internal GipMapping(SupClient client, SafeFd descriptor, long length)
    {
        _client = client;
        Descriptor = descriptor;
        try
        {
            _mapping = Libc.Map(descriptor, length, Libc.PROT_READ);
            byte* page = (byte*)_mapping.DangerousGetHandle();
            if (GipLayout.Refusal(new ReadOnlySpan<byte>(page, (int)length)) is string refusal)
            {
                throw new SupException(SupStatus.GipVersionUnknown, refusal);
            }

            Clock = new GipClock(page, length, Libc.TscReader(), Libc.TscThenLoadReader(), Libc.TscThenLoadWithoutCpuReader(), Libc.GipEntryReader(), Libc.OrderedTscWithCpuReader() != null);
        }
        catch
        {
            _mapping?.Dispose();
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>Nanosecond time from the page and the TSC.</summary>
    public GipClock Clock { get; }

    /// <summary>The page's read-only descriptor (it can be passed on; nobody can write through it).</summary>
    public SafeFd Descriptor { get; }

    /// <summary>This process's read-only mapping.</summary>
    public MappedMemory Mapping => _mapping;

    /// <summary>The page as it is now: header and CPU entries.</summary>
    public GipInfo Snapshot() => Clock.Snapshot();

    /// <summary>Stops using the page (reads fall back to CLOCK_MONOTONIC), unmaps it, and drops the session's mapping in the daemon.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Clock.Close();
        _mapping.Dispose();
        Descriptor.Dispose();
        _client.GipMappingDisposed();
    }
}
