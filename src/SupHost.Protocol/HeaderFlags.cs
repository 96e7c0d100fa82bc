namespace SupHost.Protocol;

/// <summary>Bits of the header's flags field.</summary>
[Flags]
public enum HeaderFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>Set on every reply (never on a request).</summary>
    Reply = 0x1,

    /// <summary>Reply only: the payload is a UTF-8 message describing the status.</summary>
    Message = 0x2,

    /// <summary>
    /// Reply only: the status is the one a module's entry point or service handler returned, not
    /// the daemon's own. Modules share the daemon's status numbers (one status space, as in the
    /// original), so without this bit a module's -14 would read as the daemon's InvalidHandle.
    /// </summary>
    ModuleStatus = 0x4,

    /// <summary>The bits a request may carry; any other bit in a request is an error.</summary>
    RequestMask = None,
}
