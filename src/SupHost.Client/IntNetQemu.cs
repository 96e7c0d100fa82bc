using System.Buffers.Binary;
using System.Text;

namespace SupHost.Client;

/// <summary>QEMU guests on a network: the intnet module's NetQemuAdd (docs/networking.md, "QEMU guests").</summary>
public static class IntNetQemu
{
    private const int HeaderSize = 20;

    /// <summary>
    /// Gives the persistent network <paramref name="network"/> a QEMU back-end: a Unix path it listens
    /// on, connects to, or binds for datagrams. Root sessions only (the daemon makes the socket).
    /// </summary>
    /// <exception cref="SupException">The module's status: -15 NotFound, -16 AlreadyExists (the path exists), -10 PermissionDenied, -2, -20, -22.</exception>
    public static void AddIntNetQemu(this SupClient client, string network, IntNetQemuOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        client.IntNet().Call("NetQemuAdd", 0, 0, Request(network, options), 0);
    }

    /// <summary>NetQemuAdd's input: @0 u32 kind, @4 u32 queue bytes, @8 u32 peers, @12 u32 idle ms, @16 u16 name length, @18 u16 path length, @20 name, path.</summary>
    internal static byte[] Request(string network, IntNetQemuOptions options)
    {
        byte[] name = Encoding.UTF8.GetBytes(network);
        byte[] path = Encoding.UTF8.GetBytes(options.Path);
        if (name.Length > ushort.MaxValue || path.Length > ushort.MaxValue)
        {
            throw new ArgumentException("the network name or the path is too long", nameof(options));
        }

        byte[] request = new byte[HeaderSize + name.Length + path.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)options.Kind);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), (uint)options.QueueBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), (uint)options.MaxPeers);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(12), (uint)Math.Clamp(options.IdleTime.TotalMilliseconds, 0, uint.MaxValue));
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(16), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(18), (ushort)path.Length);
        name.CopyTo(request, HeaderSize);
        path.CopyTo(request, HeaderSize + name.Length);
        return request;
    }
}
