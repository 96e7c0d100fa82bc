namespace Supd.Tests;

/// <summary>A daemon with an 8 KiB request limit, to test the limit with datagrams the socket can carry.</summary>
public sealed class SmallLimitDaemonFixture : IDisposable
{
    public const int Limit = 8192;

    public Daemon Daemon { get; } = Daemon.Start("--max-request-size", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => Daemon.Dispose();
}
