namespace SupHost.Client;

/// <summary>Which of the daemon's endpoints to connect to.</summary>
public enum SupEndpoint
{
    /// <summary>supd.sock: every function; needs the socket group.</summary>
    Full = 0,

    /// <summary>supdu.sock: open to everyone, only the functions marked safe.</summary>
    Restricted = 1,
}
