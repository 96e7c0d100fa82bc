using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>The reply did not fit the output size given; <see cref="Needed"/> says what would.</summary>
public sealed class SupOverflowException : SupException
{
    /// <summary>Creates the exception.</summary>
    public SupOverflowException(string message, int needed)
        : base(SupStatus.BufferOverflow, message)
    {
        Needed = needed;
    }

    /// <summary>Creates the exception.</summary>
    public SupOverflowException()
        : base(SupStatus.BufferOverflow, "the reply did not fit")
    {
    }

    /// <summary>Creates the exception.</summary>
    public SupOverflowException(string message)
        : base(SupStatus.BufferOverflow, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SupOverflowException(string message, Exception innerException)
        : base(SupStatus.BufferOverflow, message, innerException)
    {
    }

    /// <summary>The output size that would have fitted.</summary>
    public int Needed { get; }
}
