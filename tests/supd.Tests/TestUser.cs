namespace Supd.Tests;

/// <summary>A throwaway system user (and its own group) that the test creates and removes by name.</summary>
public sealed class TestUser : IDisposable
{
    public TestUser()
    {
        Name = $"supt{Guid.NewGuid().ToString("N")[..8]}";
        Check(Tool.Run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", Name));
    }

    public string Name { get; }

    /// <summary>Runs <paramref name="command"/> as this user with the groups /etc/group gives it now.</summary>
    public (int ExitCode, string Stdout, string Stderr) Run(params string[] command) =>
        Tool.Run("setpriv", ["--reuid", Name, "--regid", Name, "--init-groups", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", .. command], stdin: null);

    public void AddToGroup(string group) => Check(Tool.Run("usermod", "--append", "--groups", group, Name));

    public void Dispose() => Tool.Run("userdel", Name);

    private static void Check((int ExitCode, string Stdout, string Stderr) result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"exit {result.ExitCode}: {result.Stderr}");
        }
    }
}
