namespace SupHost.Protocol;

/// <summary>
/// The sizes one function accepts, checked before dispatch: input payload between
/// <see cref="MinInput"/> and <see cref="MaxInput"/>; the request's output size exactly
/// <see cref="Output"/> for fixed replies, or at least <see cref="Output"/> for variable ones.
/// </summary>
/// <param name="Function">The function.</param>
/// <param name="MinInput">Smallest input payload.</param>
/// <param name="MaxInput">Largest input payload (<see cref="UpToLimit"/>: up to the request limit).</param>
/// <param name="Output">Exact output size, or the minimum when <paramref name="VariableOutput"/>.</param>
/// <param name="VariableOutput">The reply's size depends on the daemon's state.</param>
/// <param name="Restricted">Allowed on a restricted session.</param>
public sealed record FunctionSpec(SupFunction Function, int MinInput, int MaxInput, int Output, bool VariableOutput, bool Restricted)
{
    /// <summary>As <see cref="MaxInput"/>: as much input as the request limit leaves.</summary>
    public const int UpToLimit = int.MaxValue;

    /// <summary>The smallest output size a variable reply may be given.</summary>
    public const int MinVariableOutput = 64;

    private static readonly FunctionSpec?[] s_table = Build();

    /// <summary>The spec of <paramref name="function"/>, or null when the function is unknown.</summary>
    public static FunctionSpec? Get(SupFunction function) =>
        (uint)function < (uint)s_table.Length ? s_table[(int)function] : null;

    /// <summary>Every known function's spec.</summary>
    public static IEnumerable<FunctionSpec> All => s_table.Where(s => s is not null)!;

    private static FunctionSpec?[] Build()
    {
        FunctionSpec[] specs =
        [
            new(SupFunction.Cookie, CookieRequest.Size, CookieRequest.Size, CookieReply.Size, false, true),
            new(SupFunction.Nop, 0, 0, 0, false, true),
            new(SupFunction.QueryStatus, 0, 0, MinVariableOutput, true, true),
            new(SupFunction.ListSessions, 0, ListingRequest.Size, MinVariableOutput, true, false),
            new(SupFunction.ListObjects, 0, ListingRequest.Size, MinVariableOutput, true, false),
            new(SupFunction.ListFactories, 0, ListingRequest.Size, MinVariableOutput, true, false),
            new(SupFunction.ObjectRegister, ObjectRegisterRequest.Size, ObjectRegisterRequest.Size, HandleReply.Size, false, false),
            new(SupFunction.ObjectOpen, ObjectOpenRequest.Size, ObjectOpenRequest.Size, HandleReply.Size, false, false),
            new(SupFunction.ObjectAddRef, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.ObjectRelease, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.FactoryRegister, FactoryRegisterRequest.MinSize, FactoryRegisterRequest.MaxSize, HandleReply.Size, false, false),
            new(SupFunction.FactoryDeregister, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.FactoryQuery, FactoryQueryRequest.Size, FactoryQueryRequest.Size, FactoryQueryReply.Size, false, false),
            new(SupFunction.ModuleOpen, ProtocolConstants.NameFieldSize, ProtocolConstants.NameFieldSize, ModuleOpenReply.Size, false, false),
            new(SupFunction.ModuleLoad, HandleFlagsRequest.Size, HandleFlagsRequest.Size, 0, false, false),
            new(SupFunction.ModuleFree, HandleFlagsRequest.Size, HandleFlagsRequest.Size, 0, false, false),
            new(SupFunction.ModuleGetSymbol, ModuleSymbolRequest.Size, ModuleSymbolRequest.Size, HandleReply.Size, false, false),
            new(SupFunction.ModuleCall, ModuleCallRequest.FixedSize, UpToLimit, 0, true, false),
            new(SupFunction.ModuleCallService, ServiceCallRequest.FixedSize, UpToLimit, 0, true, false),
            new(SupFunction.ModuleLockDown, 0, 0, 0, false, false),
            new(SupFunction.ListModules, 0, ListingRequest.Size, MinVariableOutput, true, false),
            new(SupFunction.PageAlloc, PageAllocRequest.Size, PageAllocRequest.Size, PageAllocReply.Size, false, false),
            new(SupFunction.PageFree, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.PageLock, HandleFlagsRequest.Size, HandleFlagsRequest.Size, 0, false, false),
            new(SupFunction.PageProtect, PageProtectRequest.Size, PageProtectRequest.Size, 0, false, false),
            new(SupFunction.ListMemory, 0, ListingRequest.Size, MinVariableOutput, true, false),
            new(SupFunction.EventCreate, EventCreateRequest.Size, EventCreateRequest.Size, HandleReply.Size, false, false),
            new(SupFunction.EventSignal, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.EventReset, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.EventClose, HandleRequest.Size, HandleRequest.Size, 0, false, false),
            new(SupFunction.GipMap, 0, 0, GipMapReply.Size, false, true),
            new(SupFunction.GipUnmap, 0, 0, 0, false, true),
        ];

        var table = new FunctionSpec?[(int)specs.Max(s => s.Function) + 1];
        foreach (FunctionSpec spec in specs)
        {
            table[(int)spec.Function] = spec;
        }

        return table;
    }
}
