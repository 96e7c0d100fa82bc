namespace SupHost.Abi;

/// <summary>Event semaphores (SUPSEMEVENT/SUPSEMEVENTMULTI) modules signal and clients wait on.</summary>
public interface IModuleEvents
{
    /// <summary>Signals the event object <paramref name="handle"/> that <paramref name="holder"/> holds; returns a status.</summary>
    int Signal(ISessionIdentity holder, ulong handle);
}
