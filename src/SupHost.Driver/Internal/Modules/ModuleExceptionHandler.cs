using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// Contains exceptions that escape threads a module started itself (<c>new Thread</c>, the thread
/// pool, a <c>System.Threading.Timer</c>, an <c>async void</c> method): the process-wide handler of
/// <see cref="ExceptionHandling.SetUnhandledExceptionHandler"/> (.NET 9 and later) walks the
/// exception's stack, and when a frame's code belongs to a module's load context it faults that
/// module and reports the exception handled, so the runtime ends that thread only (for a pool
/// thread, the work item) and the daemon goes on. Exceptions with no module frame are left to the
/// runtime as before: a fault of the daemon's own still ends it.
/// </summary>
/// <remarks>
/// Checked by experiment on .NET 10 (a console program): with the handler returning true the
/// process survived a raw thread, a thread-pool work item, a timer callback and an async void
/// method each throwing, and the pool went on serving. Not covered: exceptions the runtime treats
/// as fatal without unwinding (StackOverflowException, a failed fast), and a module thread whose
/// stack holds no frame of the module (a framework delegate started directly).
/// </remarks>
internal static class ModuleExceptionHandler
{
    private static readonly Lock s_lock = new();
    private static readonly List<WeakReference<ModuleLoader>> s_loaders = [];
    private static int s_installed;

    /// <summary>Installs the handler once per process and lets <paramref name="loader"/> claim faults; null when installed, else why not.</summary>
    public static string? Register(ModuleLoader loader)
    {
        lock (s_lock)
        {
            s_loaders.RemoveAll(w => !w.TryGetTarget(out _));
            s_loaders.Add(new WeakReference<ModuleLoader>(loader));
        }

        if (Interlocked.Exchange(ref s_installed, 1) == 1)
        {
            return null;
        }

        try
        {
            ExceptionHandling.SetUnhandledExceptionHandler(Handle);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // Another part of the process set one first; only one may be set.
            return ex.Message;
        }
    }

    private static bool Handle(Exception exception)
    {
        try
        {
            ModuleLoadContext? context = FindModuleContext(exception);
            if (context is null)
            {
                return false;
            }

            ModuleLoader[] loaders;
            lock (s_lock)
            {
                loaders = [.. s_loaders.Select(w => w.TryGetTarget(out ModuleLoader? l) ? l : null).OfType<ModuleLoader>()];
            }

            string thread = Thread.CurrentThread.Name ?? $"#{Environment.CurrentManagedThreadId}";
            bool claimed = false;
            foreach (ModuleLoader loader in loaders)
            {
                claimed |= loader.FaultFromThread(context, thread, exception);
            }

            if (!claimed && loaders.Length > 0)
            {
                loaders[0].ReportUnloadedFault(context, thread, exception);
            }

            return true;
        }
        catch (Exception)
        {
            // The handler must not throw; an exception it cannot attribute stays unhandled.
            return false;
        }
    }

    /// <summary>The load context of the innermost frame (of the exception or an inner one) whose code is a module's.</summary>
    private static ModuleLoadContext? FindModuleContext(Exception? exception)
    {
        for (int depth = 0; exception is not null && depth < 8; depth++, exception = exception.InnerException)
        {
            StackFrame[] frames = new StackTrace(exception, fNeedFileInfo: false).GetFrames();
            foreach (StackFrame frame in frames)
            {
                Assembly? assembly = frame.GetMethod()?.DeclaringType?.Assembly;
                if (assembly is not null && AssemblyLoadContext.GetLoadContext(assembly) is ModuleLoadContext context)
                {
                    return context;
                }
            }
        }

        return null;
    }
}
