namespace SupHost.Native;

/// <summary>
/// Holds a reference on a <see cref="SafeFd"/> for the span of one native call, so the number
/// cannot be closed and reused underneath it. The only place a raw descriptor number is read.
/// </summary>
internal ref struct FdLease
{
    private readonly SafeFd _fd;
    private bool _added;

    public FdLease(SafeFd fd)
    {
        _fd = fd;
        fd.DangerousAddRef(ref _added);
        Raw = fd.DangerousGetHandle().ToInt32();
    }

    public int Raw { get; }

    public void Dispose()
    {
        if (_added)
        {
            _added = false;
            _fd.DangerousRelease();
        }
    }
}
