namespace SupHost.NetAdp.Internal;

/// <summary>One adapter as the state file records it.</summary>
internal sealed record RecordedAdapter(string Name, string? Namespace, byte[] Mac, int Mtu, int Unit, bool Kept, bool KeepAsked);
