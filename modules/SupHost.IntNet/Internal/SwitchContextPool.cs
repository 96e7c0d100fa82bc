using System.Collections.Concurrent;

namespace SupHost.IntNet.Internal;

/// <summary>Contexts for the threads that switch (workers, client calls, trunk drivers), so that none allocates per frame.</summary>
internal sealed class SwitchContextPool
{
    private readonly ConcurrentBag<SwitchContext> _free = [];

    public SwitchContext Rent() => _free.TryTake(out SwitchContext? context) ? context : new SwitchContext();

    public void Return(SwitchContext context)
    {
        context.Flush();
        if (_free.Count < 64)
        {
            _free.Add(context);
        }
    }
}
