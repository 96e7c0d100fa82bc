namespace Supctl;

/// <summary>supctl's exit codes.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation failed; the status was printed.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;
}
