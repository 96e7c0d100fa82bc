using System.Collections.Concurrent;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// The intnet module as one client reaches it: opened (and loaded, when nobody has) once per
/// session, each entry point resolved once by name and kept (docs/intnet.md, "Entry points").
/// </summary>
internal sealed class IntNetModule
{
    private readonly SupClient _client;
    private readonly ulong _module;
    private readonly ConcurrentDictionary<string, ulong> _symbols = new(StringComparer.Ordinal);

    public IntNetModule(SupClient client)
    {
        _client = client;
        ModuleOpenReply open = client.OpenModule(IntNetWire.ModuleName);
        if (open.NeedsLoading)
        {
            client.LoadModule(open.Handle);
        }

        _module = open.Handle;
    }

    public SupClient Client => _client;

    public ulong Symbol(string entry) => _symbols.GetOrAdd(entry, static (name, self) => self._client.GetSymbol(self._module, name), this);

    public SupReply Call(string entry, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize) =>
        _client.CallModule(Symbol(entry), operation, argument, input, outputSize);

    public SupReply Call(string entry, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize, out IReadOnlyList<SafeFd> received) =>
        _client.CallModule(Symbol(entry), operation, argument, input, outputSize, [], out received);

    public SupStatus Call(string entry, uint operation, ulong argument) => _client.CallModule(Symbol(entry), operation, argument);

    /// <summary>A listing (NetList, NetShow): asked with a 64 KiB buffer, then, when the module says it needs more, with the largest the spec allows.</summary>
    public string Listing(string entry, ReadOnlySpan<byte> input)
    {
        SupReply reply;
        try
        {
            reply = Call(entry, 0, 0, input, 64 * 1024);
        }
        catch (SupException ex) when (ex.Status == SupStatus.BufferOverflow)
        {
            reply = Call(entry, 0, 0, input, IntNetWire.MaxListing);
        }

        return System.Text.Encoding.UTF8.GetString(reply.Payload);
    }

    /// <summary>Closes something of this session (an interface, a capture), ignoring that the session or the switch closed it first.</summary>
    public void CloseQuietly(string entry, ulong handle)
    {
        try
        {
            Call(entry, 0, handle);
        }
        catch (SupException ex) when (ex.Status is SupStatus.Disconnected or SupStatus.InvalidHandle or SupStatus.ObjectDying or SupStatus.SessionEnded or SupStatus.NotFound)
        {
            // Gone already: the session ended, the network was deleted, or the switch closed it.
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed first: its session's end closed it.
        }
    }
}
