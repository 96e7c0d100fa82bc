// The switch's short names for the shared format's flags and trunk types (as in the module).
global using OpenFlags = SupHost.IntNet.Format.IntNetOpenFlags;
global using TrunkType = SupHost.IntNet.Format.IntNetTrunkType;
