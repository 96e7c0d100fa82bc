using SupHost.Abi;

[assembly: SupModule("test-guard", typeof(SupHost.TestModules.Guard.GuardModule))]

namespace SupHost.TestModules.Guard;

/// <summary>
/// What a module like IntNet does with the registry and with sessions: registers a factory named
/// "test-trunk" and queries it back (as IntNet finds its trunk drivers), and registers objects for
/// a session it remembered from an earlier call (as a switch does for an interface's owner).
/// </summary>
public sealed class GuardModule : ISupModule
{
    /// <summary>The interface its factory answers.</summary>
    public static readonly Guid TrunkInterface = new("8b4f0c51-3c2e-4d0a-9a53-0d6f2b7e1a11");

    private IModuleHost? _host;
    private ISessionIdentity? _remembered;
    private uint _type;

    public void Initialize(IModuleHost host)
    {
        _host = host;
        _type = host.Objects.RegisterType("test-guard-thing", clientCreatable: false);
    }

    public void Terminate()
    {
    }

    /// <summary>Registers its factory "test-trunk".</summary>
    [SupEntryPoint]
    public int RegisterTrunk(ref ModuleCall call)
    {
        _host!.Components.Register(new TrunkFactory());
        return 0;
    }

    /// <summary>Queries "test-trunk" (operation 1: clients' factories too); returns 1 for its own factory, 2 for another, 0 for none.</summary>
    [SupEntryPoint]
    public int QueryTrunk(ref ModuleCall call)
    {
        object? found = call.Operation == 1
            ? _host!.Components.Query("test-trunk", TrunkInterface, includeClientFactories: true)
            : _host!.Components.Query("test-trunk", TrunkInterface);
        return found switch
        {
            null => 0,
            TrunkFactory => 1,
            _ => 2,
        };
    }

    /// <summary>Remembers the calling session.</summary>
    [SupEntryPoint]
    public int Remember(ref ModuleCall call)
    {
        _remembered = call.Session;
        return 0;
    }

    /// <summary>Registers an object for the remembered session.</summary>
    [SupEntryPoint]
    public int RegisterForRemembered(ref ModuleCall call)
    {
        _host!.Objects.Register(_remembered!, _type, null, 0x180, false, null, null);
        return 0;
    }

    /// <summary>Returns the negative of the operation: a module status of its own, whatever its number.</summary>
    [SupEntryPoint]
    public static int FailWith(ref ModuleCall call) => call.Argument switch
    {
        0 => -(int)call.Operation,
        1 => call.Fail(-(int)call.Operation, $"failed on purpose with {call.Operation}"),
        _ => call.Fail(-(int)call.Operation, new string('x', 5000)),
    };

    private sealed class TrunkFactory : IComponentFactory
    {
        public string Name => "test-trunk";

        public object? QueryInterface(Guid interfaceId) => interfaceId == TrunkInterface ? this : null;
    }
}
