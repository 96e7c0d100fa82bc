namespace SupHost.Abi;

/// <summary>
/// A module's configuration and private state (Abi 1.2): the values the daemon's configuration
/// gives under <c>Supd:Modules:&lt;module name&gt;</c> (a module sees only its own), and small
/// files in a directory of its own under the daemon's run directory (which a reboot clears).
/// </summary>
public interface IModuleSettings
{
    /// <summary>
    /// The value of <c>Supd:Modules:&lt;module name&gt;:<paramref name="key"/></c> (the key
    /// compared without regard to case, as configuration keys are), or null when not set.
    /// </summary>
    string? GetValue(string key);

    /// <summary>
    /// The module's state directory (&lt;run directory&gt;/modules/&lt;module name&gt;, mode 0700,
    /// made on the first write), or null when the host has none.
    /// </summary>
    string? StateDirectory { get; }

    /// <summary>
    /// The content of the state file <paramref name="fileName"/> (1 to 64 of a-z, A-Z, 0-9, '.',
    /// '_', '-'; not starting with '.'). 0 with the bytes; -15 NotFound when it does not exist;
    /// -22 InvalidName; -20 LimitReached when it is larger than <paramref name="maxBytes"/> (1 to 1 MiB);
    /// -54 IoFailed otherwise (the message says why).
    /// </summary>
    int ReadState(string fileName, int maxBytes, out byte[]? content);

    /// <summary>
    /// Replaces the state file <paramref name="fileName"/> with <paramref name="content"/> (at most
    /// 1 MiB) atomically: written to a temporary file, flushed, renamed over it. 0; -22 InvalidName;
    /// -2 InvalidParameter (too large); -54 IoFailed.
    /// </summary>
    int WriteState(string fileName, ReadOnlySpan<byte> content);

    /// <summary>Removes the state file <paramref name="fileName"/>: 0 (also when there was none); -22 InvalidName; -54 IoFailed.</summary>
    int DeleteState(string fileName);

    /// <summary>The message of the last call of this service that failed on this thread, or null.</summary>
    string? LastError { get; }
}
