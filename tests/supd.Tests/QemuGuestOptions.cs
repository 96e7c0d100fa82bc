namespace Supd.Tests;

/// <summary>What one <see cref="QemuGuest"/> boots with; docs/guest-image.md describes the guest side.</summary>
public sealed record QemuGuestOptions
{
    /// <summary>
    /// The <c>-netdev</c> back-end and its options without an id (the guest adds <c>id=net0</c> and
    /// plugs a virtio-net-pci into it), e.g.
    /// <c>dgram,local.type=unix,local.path=/tmp/x/a,remote.type=unix,remote.path=/tmp/x/b</c>.
    /// </summary>
    public required string Netdev { get; init; }

    /// <summary>The NIC's MAC (<c>-device ...,mac=</c>): every guest on one network needs its own, QEMU gives all the same one.</summary>
    public required string Mac { get; init; }

    /// <summary>eth0's IPv4 address as ADDR/LEN (<c>suphost.ip</c>), or none.</summary>
    public string? Address { get; init; }

    /// <summary>
    /// A one-line command for <c>sh -c</c> (<c>suphost.cmd</c>): no double quotes or newlines, since
    /// the kernel command line has no escapes; use <see cref="Script"/> for those.
    /// </summary>
    public string? Command { get; init; }

    /// <summary>A script for sh, passed through fw_cfg (<c>opt/suphost/cmd</c>); it wins over <see cref="Command"/>.</summary>
    public string? Script { get; init; }

    /// <summary>More kernel arguments, after the guest's own (<c>console=ttyS0 quiet panic=-1</c> and the suphost.* ones).</summary>
    public IReadOnlyList<string> KernelArguments { get; init; } = [];

    /// <summary>Guest memory in MiB.</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>A name for messages.</summary>
    public string Name { get; init; } = "guest";
}
