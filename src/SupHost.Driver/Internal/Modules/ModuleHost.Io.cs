using SupHost.Abi;
using SupHost.Driver.Internal.Modules.Io;

namespace SupHost.Driver.Internal.Modules;

/// <summary>The module's I/O (<see cref="IModuleIo"/>), made on first use and closed with the host.</summary>
internal sealed partial class ModuleHost
{
    private ModuleIo? _io;

    public IModuleIo Io
    {
        get
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _io ??= new ModuleIo(_module.Name, _logger, _loader.MaxDescriptorsPerModule, _descriptors.Budget, (holder, handle) => _events.Find(Holder(holder), handle), _events.Signaller);
            }
        }
    }

    /// <summary>Closes what the module's I/O left open (its readiness sets first, ending their waits); returns how many handles and sets that was.</summary>
    private (int Handles, int Sets) DisposeIo()
    {
        ModuleIo? io;
        lock (_lock)
        {
            io = _io;
        }

        return io?.Close() ?? (0, 0);
    }
}
