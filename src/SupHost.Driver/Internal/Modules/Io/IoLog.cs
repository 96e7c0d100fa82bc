using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Modules.Io;

/// <summary>The log lines of modules' I/O (IModuleIo), event ids 3350-3399.</summary>
internal static partial class IoLog
{
    [LoggerMessage(EventId = 3350, Level = LogLevel.Information, Message = "Module {Module}: TAP {Name} created in {Namespace}")]
    public static partial void TapCreated(ILogger logger, string module, string name, string @namespace);

    [LoggerMessage(EventId = 3351, Level = LogLevel.Information, Message = "Module {Module}: packet socket on {Name} in {Namespace} (promiscuous {Promiscuous}, vnet header {VnetHeader})")]
    public static partial void PacketSocketOpened(ILogger logger, string module, string name, string @namespace, bool promiscuous, bool vnetHeader);

    [LoggerMessage(EventId = 3352, Level = LogLevel.Information, Message = "Module {Module}: closed {Handles} I/O handles and {Sets} readiness sets it left open at unload")]
    public static partial void HandlesLeft(ILogger logger, string module, int handles, int sets);

    [LoggerMessage(EventId = 3353, Level = LogLevel.Error, Message = "Module {Module}: a namespace thread could not return to the daemon's network namespace ({Errno}); the thread ends there")]
    public static partial void NamespaceReturnFailed(ILogger logger, string module, string errno);

    [LoggerMessage(EventId = 3354, Level = LogLevel.Debug, Message = "Module {Module}: {Text}")]
    public static partial void Failed(ILogger logger, string module, string text);

    [LoggerMessage(EventId = 3355, Level = LogLevel.Information, Message = "Module {Module}: link {Name} in {Namespace} set (MTU {Mtu}, address {Address}, up {Up}; empty: unchanged)")]
    public static partial void LinkConfigured(ILogger logger, string module, string name, string @namespace, int? mtu, string address, bool? up);

    [LoggerMessage(EventId = 3356, Level = LogLevel.Information, Message = "Module {Module}: link {Name} moved from {Namespace} to network namespace {Target}")]
    public static partial void LinkMoved(ILogger logger, string module, string name, string @namespace, string target);

    [LoggerMessage(EventId = 3357, Level = LogLevel.Information, Message = "Module {Module}: TAP {Name} in {Namespace} reopened (persistent {Persistent})")]
    public static partial void TapOpened(ILogger logger, string module, string name, string @namespace, bool persistent);

    [LoggerMessage(EventId = 3358, Level = LogLevel.Information, Message = "Module {Module}: {Name} made persistent {Persistent}")]
    public static partial void TapPersistence(ILogger logger, string module, string name, bool persistent);
}
