using System.CommandLine;
using System.Globalization;
using System.Text;
using SupHost.Client;
using SupHost.Protocol;

namespace Supctl.Commands;

/// <summary><c>supctl gip</c>: the global information page, and how far its clock is from CLOCK_MONOTONIC.</summary>
internal static class GipCommand
{
    public static Command Create()
    {
        var duration = new Option<int>("--duration")
        {
            Description = "Milliseconds to measure the clock's deviation from CLOCK_MONOTONIC (0: do not measure).",
            DefaultValueFactory = _ => 1000,
        };
        duration.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 600_000)
            {
                result.AddError("--duration must be between 0 and 600000 milliseconds");
            }
        });
        var command = new Command("gip", "Show the GIP: mode, TSC frequency, update rate, per-CPU entries and TSC deltas, and the clock's measured deviation from CLOCK_MONOTONIC.")
        {
            duration,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async (client, token) =>
        {
            int ms = parse.GetValue(duration);
            StatusInfo status = await client.QueryStatusAsync(token).ConfigureAwait(false);
            GipInfo info = await Task.Run(
                () =>
                {
                    using GipMapping gip = client.MapGip();
                    GipDeviation? deviation = ms == 0 ? null : gip.Clock.MeasureDeviation(TimeSpan.FromMilliseconds(ms), TimeSpan.FromMicroseconds(100));
                    return gip.Snapshot() with { Deviation = deviation, ModeReason = status.GipModeReason };
                },
                token).ConfigureAwait(false);
            return await CommandRunner.PrintAsync(parse, info, Render).ConfigureAwait(false);
        }, ct, SupEndpoint.Restricted));
        return command;
    }

    private static string Render(GipInfo g)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"GIP {g.Magic} version {g.Version}, {g.Pages} page(s)");
        text.AppendLine(CultureInfo.InvariantCulture, $"mode            {g.Mode}{(g.ModeReason is null ? string.Empty : $" ({g.ModeReason})")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"TSC frequency   {g.TscHz / 1e6:F3} MHz");
        text.AppendLine(CultureInfo.InvariantCulture, $"updates         {g.UpdateHz} Hz (every {g.UpdateIntervalNs / 1e6:F1} ms), {g.Updates} so far, {(g.UpdaterRunning ? "running" : "stopped")}, {g.Users} session(s) mapping it");
        string clock = (g.UsesTsc, g.Mode) switch
        {
            (false, _) => $"CLOCK_MONOTONIC: {g.FallbackReason}",
            (true, nameof(GipMode.AsyncTsc)) => "TSC, the entry of the CPU each read runs on, no system call",
            _ => "TSC, cpu0's entry, no system call",
        };
        text.AppendLine(CultureInfo.InvariantCulture, $"clock           {clock}");
        text.AppendLine(CultureInfo.InvariantCulture, $"slewing         at most {g.MaxSlewPpm} ppm, {g.Steps} step(s) forward");
        if (g.Deviation is { } d)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"deviation       median {d.MedianAbsNs:F0} ns, max {d.MaxAbsNs:F0} ns, mean {d.MeanNs:F0} ns from CLOCK_MONOTONIC ({d.Samples} samples over {d.DurationMs:F0} ms)");
        }

        text.AppendLine();
        var table = new Table("CPU", "STATE", "TRANSACTION", "TSC DELTA", "INTERVAL TSC", "UPDATES", "LAST ERROR NS", "STEPS", "ERRORS");
        foreach (GipCpuInfo c in g.Cpus)
        {
            table.Add(c.Cpu, c.State, c.TransactionId, c.TscDelta?.ToString(CultureInfo.InvariantCulture) ?? "not measured", c.UpdateIntervalTsc, c.Updates, c.ErrorNs, c.Steps, c.Errors);
        }

        text.Append(table);
        return text.ToString();
    }
}
