// The open flags and trunk types are the shared format's (SupHost.IntNet.Format), which the client
// library uses too; the switch keeps its short names for them.
global using OpenFlags = SupHost.IntNet.Format.IntNetOpenFlags;
global using TrunkType = SupHost.IntNet.Format.IntNetTrunkType;
