namespace Supd.Tests;

/// <summary>One daemon shared by the tests of a class; each test uses names of its own.</summary>
public sealed class DaemonFixture : IDisposable
{
    public DaemonFixture() => Daemon = Daemon.Start();

    public Daemon Daemon { get; }

    public void Dispose() => Daemon.Dispose();
}
