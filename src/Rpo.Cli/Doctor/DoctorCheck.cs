namespace Rpo.Cli.Doctor;

public enum CheckStatus { Ok, Warn, Fail }

/// <summary>One line of <c>rpo doctor</c>: what was checked, what was found, and the one-line fix when it is not ok.</summary>
public sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, string? Fix = null);
