using System.Text;

namespace SupHost.Protocol;

/// <summary>
/// Fixed-size name fields (<see cref="ProtocolConstants.NameFieldSize"/> bytes): UTF-8, at least one
/// character, NUL-terminated inside the field, no control characters, the rest of the field zero.
/// </summary>
public static class NameField
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="name"/> into <paramref name="field"/>, zero-padded.</summary>
    public static void Write(Span<byte> field, string name)
    {
        string? error = Check(name, field.Length);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(name));
        }

        field.Clear();
        s_strictUtf8.GetBytes(name, field);
    }

    /// <summary>Checks a name before it is sent: the reason it is bad, or null when it is good.</summary>
    public static string? Check(string name, int fieldSize = ProtocolConstants.NameFieldSize)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "name is empty";
        }

        int bytes = s_strictUtf8.GetByteCount(name);
        if (bytes >= fieldSize)
        {
            return $"name '{name}' is {bytes} bytes; the limit is {fieldSize - 1}";
        }

        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return $"name '{name.ReplaceLineEndings(" ")}' contains a control character";
            }
        }

        return null;
    }

    /// <summary>Reads a name field; on failure <paramref name="error"/> says why and the result is null.</summary>
    public static string? TryRead(ReadOnlySpan<byte> field, out string? error)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0)
        {
            error = $"name field is not NUL-terminated within {field.Length} bytes";
            return null;
        }

        if (end == 0)
        {
            error = "name is empty";
            return null;
        }

        if (field[end..].ContainsAnyExcept((byte)0))
        {
            error = "name field has bytes after its terminating NUL";
            return null;
        }

        string name;
        try
        {
            name = s_strictUtf8.GetString(field[..end]);
        }
        catch (DecoderFallbackException)
        {
            error = "name is not valid UTF-8";
            return null;
        }

        error = Check(name, field.Length);
        return error is null ? name : null;
    }
}
