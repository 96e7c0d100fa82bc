using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>An object type known to the object manager.</summary>
/// <param name="Id">The type id (built-in, or from <see cref="ObjectTypeId.FirstModuleType"/> for module types).</param>
/// <param name="Name">Its name in listings.</param>
/// <param name="ClientCreatable">Clients may register objects of it over the protocol.</param>
public sealed record ObjectType(uint Id, string Name, bool ClientCreatable);
