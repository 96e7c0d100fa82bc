using System.Text;

namespace SupHost.Protocol.Tests;

public class NameFieldTests
{
    [Theory]
    [InlineData("vm-1")]
    [InlineData("réseau interne")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")]
    public void Good_names_round_trip(string name)
    {
        byte[] field = new byte[ProtocolConstants.NameFieldSize];
        NameField.Write(field, name);
        Assert.Equal(name, NameField.TryRead(field, out string? error));
        Assert.Null(error);
    }

    [Fact]
    public void A_name_that_fills_the_field_is_refused_with_its_length_and_the_limit()
    {
        string name = new('x', ProtocolConstants.NameFieldSize);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => NameField.Write(new byte[ProtocolConstants.NameFieldSize], name));
        Assert.Contains("64 bytes; the limit is 63", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_fields_say_why()
    {
        byte[] unterminated = Enumerable.Repeat((byte)'a', ProtocolConstants.NameFieldSize).ToArray();
        Assert.Null(NameField.TryRead(unterminated, out string? error));
        Assert.Contains("not NUL-terminated", error, StringComparison.Ordinal);

        Assert.Null(NameField.TryRead(new byte[ProtocolConstants.NameFieldSize], out error));
        Assert.Equal("name is empty", error);

        byte[] trailing = new byte[ProtocolConstants.NameFieldSize];
        trailing[0] = (byte)'a';
        trailing[5] = (byte)'b';
        Assert.Null(NameField.TryRead(trailing, out error));
        Assert.Contains("after its terminating NUL", error, StringComparison.Ordinal);

        byte[] badUtf8 = new byte[ProtocolConstants.NameFieldSize];
        badUtf8[0] = 0xff;
        Assert.Null(NameField.TryRead(badUtf8, out error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);

        byte[] control = new byte[ProtocolConstants.NameFieldSize];
        Encoding.UTF8.GetBytes("a\tb", control);
        Assert.Null(NameField.TryRead(control, out error));
        Assert.Contains("control character", error, StringComparison.Ordinal);
    }
}
