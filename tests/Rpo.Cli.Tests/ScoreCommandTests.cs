using System.Text.Json;
using Rpo.Cli;
using Rpo.Tests.Shared;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class ScoreCommandTests
{
    static string Case(params string[] parts) => TestPaths.Fixture(["reward-clip-tiny", .. parts]);

    [Fact]
    public async Task Scores_the_images_and_writes_json_matching_the_case_in_paper_compat()
    {
        string json = Path.Combine(Directory.CreateTempSubdirectory("rpo-score-").FullName, "scores.json");
        try
        {
            int rc = await RpoApp.RunAsync([
                "score", "--reference", Case("images", "reference"), "--images", Case("images", "candidates"),
                "--prompt", "a [V] dog wearing a green outfit", "--prompt", "a [V] dog in Vincent Van Gogh rendition",
                "--prompt", "a [V] dog with a China Great Wall in the background", "--prompt", "a [V] dog is swimming in a pool",
                "--prompt", "a [V]  dog on a subway\tplatform ",
                "--lambda", "0.5", "--encoder", "clip", "--reward-model", Case(), "--paper-compat", "--json", json]);
            Assert.Equal(ExitCodes.Ok, rc);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var images = doc.RootElement.GetProperty("images").EnumerateArray().ToList();
            Assert.Equal(5, images.Count);
            Assert.Equal("a [V] dog on a subway platform", images[4].GetProperty("text").GetString());
            using var fixture = Rpo.Diffusion.Parity.FixtureCase.Load(Case());
            var expected = fixture.Outputs["reward.0.5"].data<float>().ToArray();
            for (int i = 0; i < 5; i++)
                Assert.Equal(expected[i], images[i].GetProperty("reward").GetSingle(), 1e-6f);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(json)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("--lambda", "1.5")]
    [InlineData("--encoder", "dino")]
    public async Task Bad_option_values_exit_2(string option, string value) =>
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync([
            "score", "--reference", Case("images", "reference"), "--images", Case("images", "candidates"),
            "--prompt", "a [V] dog", "--reward-model", Case(), option, value]));

    [Fact]
    public async Task Missing_required_options_exit_2() =>
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync(["score", "--reference", Case("images", "reference")]));

    [Fact]
    public async Task A_missing_folder_exits_1() =>
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync([
            "score", "--reference", Case("images", "no-such-folder"), "--images", Case("images", "candidates"),
            "--prompt", "a [V] dog", "--reward-model", Case()]));

    [Fact]
    public async Task An_encoder_that_is_not_the_models_exits_1() =>
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync([
            "score", "--reference", Case("images", "reference"), "--images", Case("images", "candidates"),
            "--prompt", "a [V] dog", "--encoder", "align", "--reward-model", Case()]));

    [Fact]
    public async Task A_prompt_count_that_fits_neither_rule_exits_1() =>
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync([
            "score", "--reference", Case("images", "reference"), "--images", Case("images", "candidates"),
            "--prompt", "one", "--prompt", "two", "--reward-model", Case()]));

    [Theory]
    [InlineData("score", "--help")]
    [InlineData("bench", "score", "--help")]
    public async Task Help_exits_0(params string[] args) => Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(args));

    [Fact]
    public async Task Bench_score_refuses_an_unknown_encoder() =>
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync(["bench", "score", "--encoder", "resnet"]));
}

[Collection(ConsoleCollection.Name)]
public class ScoreOnDreamBenchTests
{
    [Fact]
    public async Task Scores_dreambench_photos_with_the_tiny_align_model()
    {
        string dataset = Path.Combine(TestPaths.DreamBench, "dataset");
        string json = Path.Combine(Directory.CreateTempSubdirectory("rpo-score-db-").FullName, "scores.json");
        try
        {
            int rc = await RpoApp.RunAsync([
                "score", "--reference", Path.Combine(dataset, "dog"), "--images", Path.Combine(dataset, "dog2"),
                "--prompt", "a [V] dog on the beach", "--reward-model", TestPaths.Fixture("reward-align-tiny"), "--json", json]);
            Assert.Equal(ExitCodes.Ok, rc);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var images = doc.RootElement.GetProperty("images").EnumerateArray().ToList();
            Assert.Equal(Directory.GetFiles(Path.Combine(dataset, "dog2"), "*.jpg").Length, images.Count);
            Assert.All(images, i =>
            {
                Assert.Equal("a dog on the beach", i.GetProperty("text").GetString());
                Assert.InRange(i.GetProperty("reward").GetDouble(), 0, 1);
            });
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(json)!, recursive: true);
        }
    }
}
