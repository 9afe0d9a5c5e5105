using System.CommandLine;
using System.Text.Json;
using Rpo.Rewards;

namespace Rpo.Cli.Commands;

/// <summary>
/// <c>--encoder align|clip</c> and the check that a reward folder holds that family, as <c>rpo score</c>, <c>train</c>
/// and <c>run</c> read them: a folder of the wrong family would otherwise load and score with the wrong processor.
/// </summary>
internal static class RewardEncoderOption
{
    public static Option<string?> Create(string description)
    {
        var option = new Option<string?>("--encoder") { Description = description };
        option.AcceptOnlyFromAmong("align", "clip");
        return option;
    }

    /// <summary>The family <c>--encoder</c> names; null when it was not given.</summary>
    public static RewardEncoderKind? Parse(string? value) => value?.ToLowerInvariant() switch
    {
        null => null,
        "clip" => RewardEncoderKind.Clip,
        _ => RewardEncoderKind.Align,
    };

    /// <summary>The family of the transformers folder; a user error when it cannot be read or is not <paramref name="wanted"/>.</summary>
    /// <param name="option">The option that named the folder, for the message.</param>
    public static RewardEncoderKind Check(string folder, RewardEncoderKind? wanted, string option)
    {
        RewardEncoderKind kind;
        try { kind = RewardModel.DetectKind(folder); }
        catch (Exception e) when (e is FileNotFoundException or NotSupportedException or JsonException) { throw new UserError($"{option} {folder}: {e.Message}"); }
        if (wanted is { } family && family != kind)
            throw new UserError($"{option} {folder} holds a {Name(kind)} model; --encoder asks for {Name(family)}.");
        return kind;
    }

    public static string Name(RewardEncoderKind kind) => kind.ToString().ToLowerInvariant();
}
