namespace Rpo.Cli;

/// <summary>A failure the user can fix (bad path, bad value): printed as one message, no stack trace.</summary>
public sealed class UserError(string message) : Exception(message);
