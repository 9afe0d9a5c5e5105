using System.Text.Json;
using Rpo.Cli;
using Rpo.Cli.Commands;
using Rpo.Diffusion.Imaging;
using Rpo.Tests.Shared;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class EvalCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-eval-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Subject()
    {
        string subject = Path.Combine(_dir, "subject");
        Directory.CreateDirectory(subject);
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.DreamBench, "dataset", "dog"), "*.jpg").Order(StringComparer.Ordinal).Take(3))
            File.Copy(file, Path.Combine(subject, Path.GetFileName(file)));
        return subject;
    }

    [Fact]
    public async Task Eval_on_the_tiny_pipeline_writes_25_images_metrics_and_a_contact_sheet()
    {
        string output = Path.Combine(_dir, "out");
        int rc = await RpoApp.RunAsync([
            "eval", "--model", TestPaths.Fixture("sd-pipeline-tiny"), "--subject", Subject(), "--class", "dog",
            "--images-per-prompt", "1", "--steps", "2", "--device", "cpu",
            "--clip", TestPaths.Fixture("metrics-dreambench-tiny", "clip"), "--dino", TestPaths.Fixture("metrics-dreambench-tiny", "dino"),
            "--out", output]);
        Assert.Equal(ExitCodes.Ok, rc);

        var pngs = Directory.GetFiles(Path.Combine(output, EvalCommand.ImagesFolderName), "*.png");
        Assert.Equal(25, pngs.Length);
        var first = ImageFile.ReadRgb(pngs[0]);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, EvalCommand.MetricsFileName)));
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("dino_score").GetDouble(), -1, 1);
        Assert.InRange(root.GetProperty("clip_i").GetDouble(), -1, 1);
        Assert.InRange(root.GetProperty("clip_t").GetDouble(), 0, 1);
        Assert.Equal("clip", root.GetProperty("reward_encoder").GetString());
        Assert.True(root.GetProperty("live").GetBoolean());
        var prompts = root.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(25, prompts.Count);
        Assert.All(prompts, p => Assert.Contains("[V] dog", p));
        var rewards = root.GetProperty("reward");
        foreach (var lambda in new[] { "0.3", "0.5", "0.7" })
            Assert.InRange(rewards.GetProperty(lambda).GetDouble(), 0, 1);

        var sheet = ImageFile.ReadRgb(Path.Combine(output, EvalCommand.ContactSheetFileName));
        Assert.Equal((first.Width, 25 * first.Height), (sheet.Width, sheet.Height));
    }

    [Fact]
    public async Task Eval_scores_the_reward_with_align_when_given_and_refuses_a_non_align_folder()
    {
        string[] common = [
            "eval", "--model", TestPaths.Fixture("sd-pipeline-tiny"), "--subject", Subject(), "--class", "backpack",
            "--images-per-prompt", "1", "--steps", "1", "--guidance", "1", "--device", "cpu",
            "--clip", TestPaths.Fixture("metrics-dreambench-tiny", "clip"), "--dino", TestPaths.Fixture("metrics-dreambench-tiny", "dino")];
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync([.. common, "--align", TestPaths.Fixture("metrics-dreambench-tiny", "clip"), "--out", Path.Combine(_dir, "bad")]));
        Assert.False(Directory.Exists(Path.Combine(_dir, "bad")));

        string output = Path.Combine(_dir, "align");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync([.. common, "--align", TestPaths.Fixture("reward-align-tiny"), "--paper-compat", "--out", output]));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, EvalCommand.MetricsFileName)));
        var root = doc.RootElement;
        Assert.Equal("align", root.GetProperty("reward_encoder").GetString());
        Assert.False(root.GetProperty("live").GetBoolean());
        Assert.Equal("a [V] backpack in the jungle", root.GetProperty("prompts")[0].GetString());
        foreach (var lambda in new[] { "0.3", "0.5", "0.7" })
            Assert.InRange(root.GetProperty("reward").GetProperty(lambda).GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Eval_without_clip_is_a_usage_error() =>
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync([
            "eval", "--model", TestPaths.Fixture("sd-pipeline-tiny"), "--subject", _dir, "--class", "dog",
            "--dino", TestPaths.Fixture("metrics-dreambench-tiny", "dino")]));
}
