using System.Text.Json.Serialization;

namespace SupHost.Bench;

[JsonSerializable(typeof(Measurement))]
internal sealed partial class BenchJsonContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
