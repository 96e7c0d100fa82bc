using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SupHost.NetAdp.Internal;

/// <summary>What an Add asks for, parsed from hostile JSON: every field checked, nothing trusted.</summary>
internal sealed record AddRequest(string? Name, string? Network, string? Namespace, byte[]? Mac, int? Mtu, bool Keep)
{
    /// <summary>Parses the input; returns why it is refused (the message starts with the field's name), or null.</summary>
    public static string? TryParse(ReadOnlySpan<byte> input, int maxInput, out AddRequest? request)
    {
        request = null;
        int nul = input.IndexOf((byte)0);
        if (nul >= 0)
        {
            input = input[..nul];
        }

        if (input.Length > maxInput)
        {
            return $"request: {input.Length} bytes; at most {maxInput}";
        }

        string? name = null, network = null, netns = null;
        byte[]? mac = null;
        int? mtu = null;
        bool keep = false;
        if (!input.IsEmpty)
        {
            try
            {
                var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = 2 });
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return "request: not a JSON object";
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string property = reader.GetString()!;
                    if (!reader.Read())
                    {
                        return "request: truncated";
                    }

                    if (Field(property, ref reader, ref name, ref network, ref netns, ref mac, ref mtu, ref keep) is string refused)
                    {
                        return refused;
                    }
                }

                if (reader.TokenType != JsonTokenType.EndObject)
                {
                    return "request: not a flat JSON object";
                }

                if (reader.Read())
                {
                    return "request: more after the object";
                }
            }
            catch (JsonException ex)
            {
                return $"request: not JSON ({ex.Message})";
            }
            catch (InvalidOperationException ex)
            {
                return $"request: a field of the wrong type ({ex.Message})";
            }
        }

        request = new AddRequest(name, network, netns, mac, mtu, keep);
        return null;
    }

    /// <summary>One field of the object; why it is refused, or null.</summary>
    private static string? Field(string property, ref Utf8JsonReader reader, ref string? name, ref string? network, ref string? netns, ref byte[]? mac, ref int? mtu, ref bool keep)
    {
        bool isNull = reader.TokenType == JsonTokenType.Null;
        switch (property)
        {
            case "name" when !isNull:
                name = reader.GetString();
                if (!IsLinkName(name))
                {
                    return $"name '{name}': an interface name is 1 to 15 of A-Z, a-z, 0-9, '.', '_', '-'";
                }

                break;
            case "netns" when !isNull:
                netns = reader.GetString();
                if (!IsNamespaceName(netns))
                {
                    return $"netns '{netns}': a network namespace name is 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'";
                }

                break;
            case "network" when !isNull:
                network = reader.GetString();
                if (network is null || Encoding.UTF8.GetByteCount(network) is 0 or > 127 || network.Contains('\0', StringComparison.Ordinal))
                {
                    return "network: 1 to 127 bytes";
                }

                break;
            case "mac" when !isNull:
                mac = ParseMac(reader.GetString());
                if (mac is null)
                {
                    return "mac: six hexadecimal bytes separated by ':', unicast (the first byte even), not all zero";
                }

                break;
            case "mtu" when !isNull:
                if (!reader.TryGetInt32(out int value) || value is < 68 or > 65535)
                {
                    return "mtu: 68 to 65535";
                }

                mtu = value;
                break;
            case "keep" when !isNull:
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    return "keep: true or false";
                }

                keep = reader.GetBoolean();
                break;
            case "name" or "netns" or "network" or "mac" or "mtu" or "keep":
                break;
            default:
                return $"request: unknown field '{property}'";
        }

        return null;
    }

    /// <summary>An adapter name from a call's input (UTF-8, a trailing NUL allowed), or null.</summary>
    public static string? ReadName(ReadOnlySpan<byte> input)
    {
        int nul = input.IndexOf((byte)0);
        if (nul >= 0)
        {
            input = input[..nul];
        }

        if (input.Length is 0 or > 15)
        {
            return null;
        }

        string name = Encoding.ASCII.GetString(input);
        return IsLinkName(name) ? name : null;
    }

    public static bool IsLinkName(string? name) =>
        name is { Length: >= 1 and <= 15 } && name.All(IsNameChar) && name is not "." and not "..";

    public static bool IsNamespaceName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(IsNameChar) && name is not "." and not "..";

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';

    public static byte[]? ParseMac(string? text)
    {
        if (text is not { Length: 17 })
        {
            return null;
        }

        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            if ((i < 5 && text[(i * 3) + 2] != ':') || !byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
            {
                return null;
            }
        }

        return (mac[0] & 1) == 0 && mac.Any(b => b != 0) ? mac : null;
    }
}
