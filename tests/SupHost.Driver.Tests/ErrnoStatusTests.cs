using SupHost.Driver.Internal;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Tests;

public class ErrnoStatusTests
{
    [Theory]
    [InlineData(Errno.EMFILE, SupStatus.LimitReached)]
    [InlineData(Errno.ENFILE, SupStatus.LimitReached)]
    [InlineData(Errno.ENOMEM, SupStatus.LimitReached)]
    [InlineData(Errno.EAGAIN, SupStatus.LimitReached)]
    [InlineData(Errno.EACCES, SupStatus.PermissionDenied)]
    [InlineData(Errno.ENOENT, SupStatus.NotFound)]
    [InlineData(Errno.EINVAL, SupStatus.InvalidParameter)]
    [InlineData(Errno.EIO, SupStatus.GeneralFailure)]
    public void Running_out_is_a_limit_and_the_rest_map_once(Errno errno, SupStatus expected) =>
        Assert.Equal(expected, ErrnoStatus.StatusOf(new NativeException("call", errno)));

    [Fact]
    public void The_message_names_what_was_done_the_call_and_the_table_that_is_full()
    {
        SupStatus status = ErrnoStatus.StatusOf(new NativeException("memfd_create", Errno.EMFILE), "allocating 4 pages", out string message);
        Assert.Equal(SupStatus.LimitReached, status);
        Assert.Equal("allocating 4 pages failed: memfd_create: Too many open files (EMFILE) (the daemon's descriptor table is full)", message);
    }
}
