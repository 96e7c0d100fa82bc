namespace SupHost.Abi;

/// <summary>
/// A module that also answers service requests (SUP_IOCTL_CALL_SERVICE of the original): calls
/// addressed to the module by name rather than to one of its entry points.
/// </summary>
public interface ISupServiceModule : ISupModule
{
    /// <summary>Handles one service request; returns a status (negative for errors) like an entry point.</summary>
    int HandleServiceRequest(ref ModuleCall request);
}
