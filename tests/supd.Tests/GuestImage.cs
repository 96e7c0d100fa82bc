using System.Diagnostics;

namespace Supd.Tests;

/// <summary>
/// The kernel and initramfs the QEMU guests boot, built by <c>scripts/guest-image.sh</c> into its
/// cache (outside the checkout, reused across runs; <c>SUPHOST_GUEST_CACHE</c> moves it). The
/// script runs once per test run; it returns at once when the cache holds the image already.
/// </summary>
public sealed class GuestImage
{
    // A first build downloads about 33 MB of packages and packs them; a cached one takes milliseconds
    // (or waits for another run's build holding the cache's lock).
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(20);
    private static readonly Lazy<GuestImage> s_image = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    private GuestImage(string directory)
    {
        Directory = directory;
    }

    /// <summary>The image's directory in the cache.</summary>
    public string Directory { get; }

    /// <summary>The kernel (Debian's cloud kernel).</summary>
    public string Kernel => Path.Combine(Directory, "vmlinuz");

    /// <summary>The busybox initramfs with the guest's init.</summary>
    public string Initrd => Path.Combine(Directory, "initramfs.cpio.gz");

    /// <summary>The image, built on the first call of the run; a failure is the same exception for every caller.</summary>
    public static GuestImage Ensure() => s_image.Value;

    private static GuestImage Build()
    {
        string script = FindScript();
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"bash {script} did not start");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_buildTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{script} did not finish in {s_buildTimeout.TotalMinutes} minutes: {stderr.Result}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}: {stderr.Result}");
        }

        string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            throw new InvalidOperationException($"{script} printed no image directory: {stderr.Result}");
        }

        var image = new GuestImage(lines[^1]);
        if (!File.Exists(image.Kernel) || !File.Exists(image.Initrd))
        {
            throw new InvalidOperationException($"{script} named {image.Directory}, which lacks vmlinuz or initramfs.cpio.gz");
        }

        return image;
    }

    /// <summary>The script in the checkout the tests were built from: the first scripts/ above the test binaries.</summary>
    private static string FindScript()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "scripts", "guest-image.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"no scripts/guest-image.sh above {AppContext.BaseDirectory}");
    }
}
