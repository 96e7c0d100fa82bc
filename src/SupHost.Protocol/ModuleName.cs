namespace SupHost.Protocol;

/// <summary>
/// Module names: 1 to 31 characters of [A-Za-z0-9._-], not starting with a dot. A name never
/// reaches the file system unchecked: it becomes a directory and a file name inside a module
/// directory, so it must not carry a path.
/// </summary>
public static class ModuleName
{
    /// <summary>The reason <paramref name="name"/> is not a module name, or null when it is one.</summary>
    public static string? Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > ProtocolConstants.MaxModuleNameLength)
        {
            return $"module name '{name}' must be 1 to {ProtocolConstants.MaxModuleNameLength} characters";
        }

        if (name[0] == '.')
        {
            return $"module name '{name}' must not start with a dot";
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '.' and not '_' and not '-')
            {
                return $"module name '{name}' may only use letters, digits, '.', '_' and '-'";
            }
        }

        return null;
    }
}
