using System.Diagnostics;

namespace SupHost.Bench;

/// <summary>The C# echo server in a child process pinned to one CPU, and a client connected to it.</summary>
internal sealed class EchoProcess : IDisposable
{
    private readonly Process _server;
    private readonly string _dir;

    public EchoProcess(int cpu)
    {
        _dir = Directory.CreateTempSubdirectory("suphost-echo-").FullName;
        string path = Path.Combine(_dir, "echo.sock");
        _server = Process.Start(Affinity.Pinned(cpu, "dotnet", Path.Combine(AppContext.BaseDirectory, "SupHost.Bench.dll"), "--echo-server", path))!;
        if (_server.StandardOutput.ReadLine() != "listening")
        {
            throw new InvalidOperationException("the echo server did not start: " + _server.StandardError.ReadToEnd());
        }

        Client = new EchoServer.Client(path, SupHost.Protocol.ProtocolConstants.HeaderSize);
    }

    public EchoServer.Client Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        _server.WaitForExit(10_000);
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
