namespace Rpo.Cli;

/// <summary>The exit codes of every <c>rpo</c> command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
