namespace Rpo.Tests.Shared;

/// <summary>
/// Locates the repository and the shared fixtures beside it without absolute paths: walks up from the
/// test assembly to the folder holding RpoFunctions.sln; the fixtures are ../shared/fixtures from there
/// (override with RPO_SHARED for a checkout laid out differently).
/// </summary>
public static class TestPaths
{
    static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RpoFunctions.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"RpoFunctions.sln not found above {AppContext.BaseDirectory}");
    });

    public static string RepoRoot => Root.Value;

    public static string Shared =>
        Environment.GetEnvironmentVariable("RPO_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Fixtures => Path.Combine(Shared, "fixtures");

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    public static string DreamBench => Path.Combine(Shared, "dreambench");
}
