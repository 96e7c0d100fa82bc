namespace SupHost.Abi;

/// <summary>What <see cref="IModuleHost.Settings"/> answers on a host that has none: no values, no state directory, ReadState -15 NotFound, WriteState and DeleteState -54 IoFailed.</summary>
public sealed class NoModuleSettings : IModuleSettings
{
    private NoModuleSettings()
    {
    }

    /// <summary>The one instance.</summary>
    public static NoModuleSettings Instance { get; } = new();

    /// <inheritdoc/>
    public string? StateDirectory => null;

    /// <inheritdoc/>
    public string? LastError => "this host keeps no module state";

    /// <inheritdoc/>
    public string? GetValue(string key) => null;

    /// <inheritdoc/>
    public int ReadState(string fileName, int maxBytes, out byte[]? content)
    {
        content = null;
        return -15;
    }

    /// <inheritdoc/>
    public int WriteState(string fileName, ReadOnlySpan<byte> content) => -54;

    /// <inheritdoc/>
    public int DeleteState(string fileName) => -54;
}
