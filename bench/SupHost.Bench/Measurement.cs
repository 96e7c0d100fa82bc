using System.Globalization;
using System.Text.Json.Serialization;

namespace SupHost.Bench;

/// <summary>One figure next to its anchor (the floor it is compared with), both from the same run.</summary>
internal sealed record Measurement(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("anchor")] string Anchor,
    [property: JsonPropertyName("anchor_value")] double AnchorValue)
{
    [JsonPropertyName("ratio")]
    public double Ratio => AnchorValue == 0 ? double.NaN : Math.Round(Value / AnchorValue, 3);

    public string Row(int nameWidth, int anchorWidth) => string.Create(CultureInfo.InvariantCulture,
        $"{Name.PadRight(nameWidth)}  {Value,10:F2} {Unit,-4}  {Anchor.PadRight(anchorWidth)}  {AnchorValue,10:F2} {Unit,-4}  {Ratio,6:F2}x");
}
