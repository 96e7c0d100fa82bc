using Microsoft.Extensions.Logging;

namespace SupHost.ModuleTesting;

/// <summary>One line logged while the module was hosted, by the module (<c>host.Log</c>) or by the daemon's code about it.</summary>
/// <param name="Level">The line's level.</param>
/// <param name="EventId">
/// The daemon's stable event id: 40 a line the module wrote itself, 47 an entry point threw, 3250
/// the module faulted, 3251 workers did not stop, 3104 memory leases ended at unload, 3352 I/O
/// handles closed at unload (docs/modules.md lists them).
/// </param>
/// <param name="Category">The logger's category: <c>SupHost.Module.NAME</c> for the module's own lines, <c>SupHost.Modules</c> for the loader's.</param>
/// <param name="Message">The formatted line.</param>
/// <param name="Exception">
/// The text of the exception the line carried, or null. Text, not the object: an exception of one
/// of the module's types would keep a file-loaded module's load context alive.
/// </param>
public sealed record TestLogEntry(LogLevel Level, int EventId, string Category, string Message, string? Exception);
