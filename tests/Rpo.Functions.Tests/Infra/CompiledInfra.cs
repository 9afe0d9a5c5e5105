using System.Text.Json;
using Rpo.Tests.Shared;

namespace Rpo.Functions.Tests.Infra;

/// <summary>
/// Compiles infra/main.bicep and infra/main.bicepparam once per test class into a temporary folder, and lints every
/// Bicep file. The tests read what the CLI printed and the ARM JSON it wrote.
/// </summary>
public sealed class CompiledInfra : IDisposable
{
    public string InfraFolder { get; }
    public string OutputFolder { get; }
    public BicepRun Build { get; }
    public BicepRun Lint { get; }
    public BicepRun BuildParams { get; }
    public JsonDocument Main { get; }
    public string MainText { get; }

    public CompiledInfra()
    {
        string root = TestPaths.RepoRoot;
        InfraFolder = Path.Combine(root, "infra");
        OutputFolder = Directory.CreateTempSubdirectory("rpo-infra-").FullName;

        Build = BicepCli.Run(root, ["build", Path.Combine("infra", "main.bicep"), "--outdir", OutputFolder]);
        // Every .bicep and .bicepparam file: a module's own diagnostics are reported only when it is linted itself.
        Lint = BicepCli.Run(root, ["lint", "--pattern", "infra/**/*.bicep*"]);
        BuildParams = BicepCli.Run(root, ["build-params", Path.Combine("infra", "main.bicepparam"),
            "--outfile", Path.Combine(OutputFolder, "main.parameters.json")], CleanParameterEnvironment);

        string mainJson = Path.Combine(OutputFolder, "main.json");
        MainText = File.Exists(mainJson) ? File.ReadAllText(mainJson) : "{}";
        Main = JsonDocument.Parse(MainText);
    }

    /// <summary>The deployment-time switches main.bicepparam reads, all unset (a developer's shell may have them).</summary>
    public static readonly IReadOnlyDictionary<string, string?> CleanParameterEnvironment = new Dictionary<string, string?>
    {
        ["RPO_WORKER_IMAGE_TAG"] = null,
        ["RPO_DEPLOY_BLOB_EVENT_SUBSCRIPTION"] = null,
        ["RPO_UPLOADER_PRINCIPAL_ID"] = null,
    };

    public JsonElement Root => Main.RootElement;

    public IEnumerable<ArmResource> Resources(string type) =>
        ArmTemplate.AllResources(Root).Where(r => r.Type == type && !r.IsExisting);

    public ArmResource Single(string type) => Assert.Single(Resources(type));

    public JsonElement ModuleTemplate(string module) =>
        ArmTemplate.AllTemplates(Root).Single(t => t.Module == module).Template;

    public void Dispose()
    {
        Main.Dispose();
        try { Directory.Delete(OutputFolder, recursive: true); } catch (IOException) { }
    }
}
