namespace SupHost.IntNet.Internal.Qemu;

/// <summary>What the QEMU side asks of the module: ports into and out of their networks (under the module's lock).</summary>
internal interface IQemuPorts
{
    uint NextPortId();

    /// <summary>Adds the port to its network; null, or why it was refused (the network is full or gone).</summary>
    string? Attach(QemuPort port);

    /// <summary>Takes the port out of its network.</summary>
    void Detach(QemuPort port);
}
