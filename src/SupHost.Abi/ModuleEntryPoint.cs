namespace SupHost.Abi;

/// <summary>
/// An exported entry point: returns a status, 0 or positive for success and negative for an error
/// of the module's own (SupHost passes it through). Throwing fails the call with the message.
/// </summary>
public delegate int ModuleEntryPoint(ref ModuleCall call);
