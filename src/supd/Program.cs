using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Supd;
using SupHost.Driver;
using SupHost.Native;
using SupHost.Protocol;

// Before any other thread allocates: two malloc arenas and a fixed mmap threshold, so that the
// session threads' large buffers go back to the kernel when freed (see Libc.LimitMallocFootprint).
Libc.LimitMallocFootprint(arenas: 2, mmapThreshold: 128 * 1024);

var runDirOption = new Option<string?>("--run-dir")
{
    Description = $"Directory for the sockets (default: ${ProtocolConstants.RunDirectoryVariable}, the configuration file, then /run/suphost as root or $XDG_RUNTIME_DIR/suphost).",
};
var configOption = new Option<string?>("--config")
{
    Description = $"Configuration file (JSON, section \"{SupdSettings.SectionName}\"); default {SupdSettings.DefaultConfigFile} if it exists.",
};
var groupOption = new Option<string?>("--group") { Description = "Group allowed on the full endpoint (default suphost; created if missing)." };
var maxRequestOption = new Option<int?>("--max-request-size") { Description = $"Largest request in bytes (default {ProtocolConstants.DefaultMaxRequestSize})." };
var moduleDirOption = new Option<string[]>("--module-dir")
{
    Description = "A directory to load modules from (<dir>/<name>/<name>.dll); repeatable, searched after the daemon's own modules/.",
    AllowMultipleArgumentsPerToken = false,
};
var verboseOption = new Option<bool>("--verbose", "-v") { Description = "Log every session and failed request (Debug level)." };

var root = new RootCommand("supd: the SupHost support daemon. Serves sessions on supd.sock (full) and supdu.sock (restricted).")
{
    runDirOption, configOption, groupOption, maxRequestOption, moduleDirOption, verboseOption,
};

root.SetAction(async parse =>
{
    string configFile = parse.GetValue(configOption) ?? SupdSettings.DefaultConfigFile;
    if (parse.GetValue(configOption) is string explicitConfig && !File.Exists(explicitConfig))
    {
        await Console.Error.WriteLineAsync($"supd: configuration file {explicitConfig} does not exist").ConfigureAwait(false);
        return 2;
    }

    HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
    // Under systemd: readiness through sd_notify and the journal's log format (AddSystemd picks
    // the systemd console formatter). Elsewhere: one timestamped line per event.
    builder.Services.AddSystemd();
    if (SystemdHelpers.IsSystemdService())
    {
        builder.Logging.AddConsole();
    }
    else
    {
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
    }

    builder.Logging.SetMinimumLevel(parse.GetValue(verboseOption) ? LogLevel.Debug : LogLevel.Information);
    // Settle the options before the host exists, so a bad file or value is one clear line and exit 1.
    SupdSettings settings;
    try
    {
        builder.Configuration.AddJsonFile(configFile, optional: true, reloadOnChange: false);
        settings = builder.Configuration.GetSection(SupdSettings.SectionName).Get<SupdSettings>() ?? new SupdSettings();
    }
    catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
    {
        await Console.Error.WriteLineAsync($"supd: configuration {configFile}: {ex.Message} {ex.InnerException?.Message}").ConfigureAwait(false);
        return 1;
    }

    string runDir = parse.GetValue(runDirOption)
        ?? NonEmpty(Environment.GetEnvironmentVariable(ProtocolConstants.RunDirectoryVariable))
        ?? settings.RunDirectory
        ?? ProtocolConstants.DefaultRunDirectory(Libc.EffectiveUserId);
    var options = new DriverOptions
    {
        RunDirectory = Path.GetFullPath(runDir),
        SocketGroup = parse.GetValue(groupOption) ?? settings.SocketGroup,
        MaxRequestSize = parse.GetValue(maxRequestOption) ?? settings.MaxRequestSize,
        MaxSessions = settings.MaxSessions,
        MaxRestrictedSessions = settings.MaxRestrictedSessions,
        MaxSessionsPerUid = settings.MaxSessionsPerUid,
        HandshakeTimeout = TimeSpan.FromSeconds(settings.HandshakeTimeoutSeconds),
        CancelGrace = TimeSpan.FromSeconds(settings.CancelGraceSeconds),
        MaxObjectsPerSession = settings.MaxObjectsPerSession,
        MaxFactoriesPerSession = settings.MaxFactoriesPerSession,
        ModuleDirectories = [Path.Combine(AppContext.BaseDirectory, "modules"), .. settings.ModuleDirectories.Select(Path.GetFullPath), .. (parse.GetValue(moduleDirOption) ?? []).Select(Path.GetFullPath)],
        AllowLockDown = settings.AllowLockDown,
        StartModules = settings.StartModules ?? SupdSettings.DefaultStartModules,
        SlowCallThreshold = TimeSpan.FromMilliseconds(settings.SlowCallMilliseconds),
        UnloadTimeout = TimeSpan.FromSeconds(settings.UnloadTimeoutSeconds),
        MaxPagesPerAllocation = settings.MaxPagesPerAllocation,
        MaxPagesPerSession = settings.MaxPagesPerSession,
        MaxPagesTotal = settings.MaxPagesTotal,
        MaxLockedPages = settings.MaxLockedPages,
        MaxPagesPerUid = settings.MaxPagesPerUid,
        MaxLockedPagesPerSession = settings.MaxLockedPagesPerSession,
        MaxLockedPagesPerUid = settings.MaxLockedPagesPerUid,
        MaxAllocationsTotal = settings.MaxAllocationsTotal,
        MappingReserve = settings.MappingReserve,
        GipForceAsync = settings.GipForceAsync,
        GipUpdateIntervalMilliseconds = settings.GipUpdateIntervalMs,
        MaxDescriptorsPerSession = settings.MaxDescriptorsPerSession,
        MaxDescriptorsPerUid = settings.MaxDescriptorsPerUid,
        MaxDescriptorsPerModule = settings.MaxDescriptorsPerModule,
        DescriptorReserve = settings.DescriptorReserve,
        ModuleSettings = ModuleSections(builder.Configuration.GetSection(SupdSettings.SectionName).GetSection("Modules")),
    };
    if (options.Validate() is string problem)
    {
        await Console.Error.WriteLineAsync($"supd: {problem}").ConfigureAwait(false);
        return 1;
    }

    builder.Services.AddSingleton(sp => new SupDriver(options, sp.GetRequiredService<ILoggerFactory>()));
    builder.Services.AddSingleton<ReadyNotifier>();
    builder.Services.AddHostedService<SupdService>();
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

    try
    {
        using IHost host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }
    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
    {
        await Console.Error.WriteLineAsync($"supd: {ex.Message}").ConfigureAwait(false);
        return 1;
    }
});

// SIGTERM and SIGINT belong to the host's lifetime (console or systemd), which stops the driver
// cleanly; System.CommandLine must not race it with a termination handler of its own.
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"supd: {error.Message}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("Try 'supd --help'.").ConfigureAwait(false);
    return 2;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);

static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

// Supd:Modules:<module>:<key>: each module's own values, as strings (a nested section is left out).
static Dictionary<string, IReadOnlyDictionary<string, string>> ModuleSections(IConfigurationSection modules)
{
    var sections = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
    foreach (IConfigurationSection module in modules.GetChildren())
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection entry in module.GetChildren())
        {
            if (entry.Value is string value)
            {
                values[entry.Key] = value;
            }
        }

        sections[module.Key] = values;
    }

    return sections;
}
