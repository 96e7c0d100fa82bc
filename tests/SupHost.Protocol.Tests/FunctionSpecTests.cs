
namespace SupHost.Protocol.Tests;

public class FunctionSpecTests
{
    [Fact]
    public void Every_function_but_Invalid_has_exactly_one_spec()
    {
        SupFunction[] functions = Enum.GetValues<SupFunction>().Where(f => f != SupFunction.Invalid).ToArray();
        Assert.Equal(functions.Order(), FunctionSpec.All.Select(s => s.Function).Order());
        Assert.Null(FunctionSpec.Get(SupFunction.Invalid));
        Assert.Null(FunctionSpec.Get((SupFunction)9999));
    }

    [Fact]
    public void Only_the_handshake_nop_status_and_the_gip_are_open_to_restricted_sessions()
    {
        Assert.Equal(
            new[] { SupFunction.Cookie, SupFunction.Nop, SupFunction.QueryStatus, SupFunction.GipMap, SupFunction.GipUnmap },
            FunctionSpec.All.Where(s => s.Restricted).Select(s => s.Function).Order());
    }

    [Fact]
    public void Sizes_are_consistent()
    {
        foreach (FunctionSpec spec in FunctionSpec.All)
        {
            Assert.InRange(spec.MinInput, 0, spec.MaxInput);
            if (spec.MaxInput != FunctionSpec.UpToLimit)
            {
                Assert.True(spec.MaxInput + ProtocolConstants.HeaderSize <= ProtocolConstants.MinMaxRequestSize, $"{spec.Function} cannot fit the smallest request limit");
            }
        }
    }

    [Fact]
    public void Statuses_are_unique_and_errors_are_negative()
    {
        int[] values = Enum.GetValues<SupStatus>().Select(s => (int)s).ToArray();
        Assert.Equal(values.Length, values.Distinct().Count());
        SupStatus[] informational = [SupStatus.Success, SupStatus.ObjectDestroyed, SupStatus.AlreadyLoaded, SupStatus.ModuleUnloaded];
        Assert.All(informational, s => Assert.True(s.IsSuccess(), s.ToString()));
        Assert.All(Enum.GetValues<SupStatus>().Except(informational), s => Assert.True(s.IsError(), s.ToString()));
    }
}
