using Microsoft.Extensions.Logging;
using SupHost.Native;

namespace SupHost.Driver.Internal.Modules.Io;

/// <summary>
/// Runs one operation in a named network namespace on a thread of its own: setns(2) changes only
/// the calling thread's namespace, so a session or pool thread must never enter one. The thread
/// enters, runs, goes back (and ends even when going back fails, so it never serves anything else).
/// </summary>
internal static class NamespaceThread
{
    /// <summary>
    /// Runs <paramref name="operation"/> in <paramref name="networkNamespace"/> (null: on the calling
    /// thread, in the daemon's own) and returns its errno; <paramref name="failedStep"/> names what
    /// failed before the operation ran (no such namespace), or is null.
    /// </summary>
    public static Errno Run(string? networkNamespace, Func<Errno> operation, string module, ILogger logger, out string? failedStep)
    {
        failedStep = null;
        if (networkNamespace is null)
        {
            return operation();
        }

        Errno result = Errno.None;
        string? step = null;
        var thread = new Thread(() =>
        {
            // Nothing may escape this thread: an exception here would end the daemon.
            try
            {
                Errno opened = Libc.TryOpenNetworkNamespace(networkNamespace, out SafeFd? target);
                if (opened != Errno.None)
                {
                    step = $"opening the network namespace '{networkNamespace}' (/run/netns/{networkNamespace})";
                    result = opened;
                    return;
                }

                using (target)
                {
                    using SafeFd home = Libc.OpenThreadNetworkNamespace();
                    Errno entered = Libc.TryEnterNetworkNamespace(target!);
                    if (entered != Errno.None)
                    {
                        step = $"entering the network namespace '{networkNamespace}' (setns)";
                        result = entered;
                        return;
                    }

                    try
                    {
                        result = operation();
                    }
                    finally
                    {
                        Errno back = Libc.TryEnterNetworkNamespace(home);
                        if (back != Errno.None)
                        {
                            IoLog.NamespaceReturnFailed(logger, module, back.ToString());
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                step ??= $"working in the network namespace '{networkNamespace}' ({ex.Message})";
                result = ex is NativeException native ? native.Errno : Errno.EIO;
            }
        })
        {
            IsBackground = true,
            Name = "netns:" + (networkNamespace.Length > 8 ? networkNamespace[..8] : networkNamespace),
        };
        thread.UnsafeStart();
        thread.Join();
        failedStep = step;
        return result;
    }
}
