namespace SupHost.IntNet.Format.Tests;

/// <summary>A super-frame built by <see cref="TestFrames.Build"/>, with where its parts are.</summary>
internal sealed record BuiltFrame(byte[] Frame, GsoContext Context, int NetworkOffset, int TransportOffset, int HeadersLength, byte[] Payload)
{
    public byte[] Source => Frame[(NetworkOffset + (IsIPv6 ? 8 : 12))..(NetworkOffset + (IsIPv6 ? 24 : 16))];

    public byte[] Destination => Frame[(NetworkOffset + (IsIPv6 ? 24 : 16))..(NetworkOffset + (IsIPv6 ? 40 : 20))];

    private bool IsIPv6 => Frame[NetworkOffset] >> 4 == 6;
}
