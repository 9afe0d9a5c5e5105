namespace Rpo.Cli.Doctor;

/// <summary>Finds the Bicep CLI: $RPO_BICEP, then PATH, then the NuGet package that tools/bicep restores.</summary>
public static class BicepLocator
{
    public const string PackageId = "Azure.Bicep.CommandLine.linux-x64";

    public static string? Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("RPO_BICEP");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;

        string exe = OperatingSystem.IsWindows() ? "bicep.exe" : "bicep";
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string package = Path.Combine(cache, PackageId.ToLowerInvariant());
        if (!Directory.Exists(package)) return null;
        return Directory.GetDirectories(package)
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0))
            .Select(d => Path.Combine(d, "tools", exe))
            .FirstOrDefault(File.Exists);
    }
}
