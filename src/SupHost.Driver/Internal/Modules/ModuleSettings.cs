using SupHost.Abi;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// One module's settings (<see cref="IModuleSettings"/>): its own values of the configuration's
/// Supd:Modules:&lt;name&gt; section, and its state directory &lt;run directory&gt;/modules/&lt;name&gt;
/// (0700, made on the first write), whose files are written atomically (temporary file, fsync, rename).
/// </summary>
internal sealed class ModuleSettings : IModuleSettings
{
    /// <summary>The largest state file.</summary>
    public const int MaxStateBytes = 1 << 20;

    private const int MaxFileName = 64;

    [ThreadStatic]
    private static string? t_lastError;

    private readonly IReadOnlyDictionary<string, string>? _values;

    public ModuleSettings(string module, IReadOnlyDictionary<string, string>? values, string runDirectory)
    {
        _values = values;

        // A module name is 1 to 31 of [A-Za-z0-9._-]; one that starts with '.' gets no directory.
        StateDirectory = module.Length > 0 && module[0] != '.' ? Path.Combine(runDirectory, "modules", module) : null;
    }

    public string? StateDirectory { get; }

    public string? LastError => t_lastError;

    public string? GetValue(string key)
    {
        if (string.IsNullOrEmpty(key) || _values is null)
        {
            return null;
        }

        return _values.TryGetValue(key, out string? value) ? value : null;
    }

    public int ReadState(string fileName, int maxBytes, out byte[]? content)
    {
        content = null;
        if (Check(fileName, "ReadState") is int invalid)
        {
            return invalid;
        }

        if (maxBytes is < 1 or > MaxStateBytes)
        {
            return Fail(SupStatus.InvalidParameter, $"ReadState: maxBytes {maxBytes} is outside 1 to {MaxStateBytes}");
        }

        string path = Path.Combine(StateDirectory!, fileName);
        try
        {
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.None });
            if (file.Length > maxBytes)
            {
                return Fail(SupStatus.LimitReached, $"ReadState: {path} is {file.Length} bytes, more than {maxBytes}");
            }

            byte[] buffer = new byte[(int)file.Length];
            file.ReadExactly(buffer);
            content = buffer;
            t_lastError = null;
            return 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(SupStatus.NotFound, $"ReadState: there is no {path}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(SupStatus.IoFailed, $"ReadState: reading {path} failed: {ex.Message}");
        }
    }

    public int WriteState(string fileName, ReadOnlySpan<byte> content)
    {
        if (Check(fileName, "WriteState") is int invalid)
        {
            return invalid;
        }

        if (content.Length > MaxStateBytes)
        {
            return Fail(SupStatus.InvalidParameter, $"WriteState: {content.Length} bytes; at most {MaxStateBytes}");
        }

        string path = Path.Combine(StateDirectory!, fileName);
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(StateDirectory!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            t_lastError = null;
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // The write failed already; that is what is reported.
            }

            return Fail(SupStatus.IoFailed, $"WriteState: writing {path} failed: {ex.Message}");
        }
    }

    public int DeleteState(string fileName)
    {
        if (Check(fileName, "DeleteState") is int invalid)
        {
            return invalid;
        }

        string path = Path.Combine(StateDirectory!, fileName);
        try
        {
            File.Delete(path);
            t_lastError = null;
            return 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(SupStatus.IoFailed, $"DeleteState: removing {path} failed: {ex.Message}");
        }
    }

    private int? Check(string fileName, string call)
    {
        if (StateDirectory is null)
        {
            return Fail(SupStatus.IoFailed, $"{call}: this module has no state directory");
        }

        if (string.IsNullOrEmpty(fileName) || fileName.Length > MaxFileName || fileName[0] == '.' || !fileName.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-'))
        {
            return Fail(SupStatus.InvalidName, $"{call}: '{fileName}' is not a state file name (1 to {MaxFileName} of a-z, A-Z, 0-9, '.', '_', '-', not starting with '.')");
        }

        return null;
    }

    private static int Fail(SupStatus status, string message)
    {
        t_lastError = message;
        return (int)status;
    }
}
