namespace SupHost.Abi;

/// <summary>Shared memory (SUPR0 page allocations) as modules see it.</summary>
public interface IModuleMemory
{
    /// <summary>
    /// The bytes of the allocation <paramref name="handle"/> that <paramref name="holder"/> holds,
    /// shared with the client that mapped it.
    /// </summary>
    Memory<byte> View(ISessionIdentity holder, ulong handle);
}
