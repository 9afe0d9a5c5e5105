using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Subjects;

/// <summary>
/// subject.json, the optional file beside a subject's images:
/// <code>
/// { "classNoun": "dog", "options": { "steps": 200, "lambdaVal": 0.5 } }
/// </code>
/// Both members are optional (the class noun can come from the caller instead); every option is a
/// <see cref="RunOptions"/> property in camelCase, and any other key, at either level, is an error naming it.
/// </summary>
/// <param name="ClassNoun">The subject's class ("dog", "backpack"): one of <see cref="SubjectClasses.All"/>.</param>
/// <param name="Options">The run's options; missing ones take the paper's defaults.</param>
public sealed record SubjectManifest(string? ClassNoun = null, RunOptions? Options = null)
{
    public const string ClassNounKey = "classNoun";
    public const string OptionsKey = "options";
}
