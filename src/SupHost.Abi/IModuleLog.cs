namespace SupHost.Abi;

/// <summary>The daemon's log, tagged with the module's name.</summary>
public interface IModuleLog
{
    /// <summary>Writes one line at <paramref name="level"/>, with the exception that caused it if any.</summary>
    void Write(ModuleLogLevel level, string message, Exception? exception = null);
}
