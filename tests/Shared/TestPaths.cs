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

    /// <summary>$RPO_SHARED, else the nearest <c>shared/</c> beside the repository or beside one of its parents (a worktree).</summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("RPO_SHARED") is { Length: > 0 } s ? s : SharedBesideRepo.Value;

    static readonly Lazy<string> SharedBesideRepo = new(() =>
    {
        for (var dir = Directory.GetParent(RepoRoot); dir != null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "fixtures")))
                return Path.Combine(dir.FullName, "shared");
        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    });

    public static string Fixtures => Path.Combine(Shared, "fixtures");

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    public static string DreamBench => Path.Combine(Shared, "dreambench");
}
