namespace SupHost.Protocol;

/// <summary>Page protection bits (as PROT_* of mprotect(2), without execute).</summary>
[Flags]
public enum PageProtection : uint
{
    /// <summary>No access: any touch faults.</summary>
    None = 0,

    /// <summary>Readable.</summary>
    Read = 1,

    /// <summary>Writable (and, on x86-64, readable).</summary>
    Write = 2,

    /// <summary>Read and write.</summary>
    ReadWrite = Read | Write,
}
