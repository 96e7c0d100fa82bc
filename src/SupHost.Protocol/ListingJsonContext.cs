using System.Text.Json.Serialization;

namespace SupHost.Protocol;

/// <summary>Source-generated JSON for the listings: camelCase names, stable across versions.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusInfo))]
[JsonSerializable(typeof(List<SessionInfo>))]
[JsonSerializable(typeof(List<ObjectInfo>))]
[JsonSerializable(typeof(List<FactoryInfo>))]
[JsonSerializable(typeof(List<ModuleInfo>))]
[JsonSerializable(typeof(List<MemoryInfo>))]
[JsonSerializable(typeof(GipInfo))]
internal sealed partial class ListingJsonContext : JsonSerializerContext
{
}
