using Rpo.Diffusion.Parity;
using Rpo.Rewards.Metrics;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Reward;

public class RewardModelTests
{
    [Theory]
    [InlineData("reward-clip-tiny", RewardEncoderKind.Clip)]
    [InlineData("reward-align-tiny", RewardEncoderKind.Align)]
    public void The_family_comes_from_the_config(string name, RewardEncoderKind kind) =>
        Assert.Equal(kind, RewardModel.DetectKind(TestPaths.Fixture(name)));

    [Fact]
    public void Architectures_decide_when_model_type_is_missing_and_unknown_models_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("reward-kind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["AlignModel"]}""");
            Assert.Equal(RewardEncoderKind.Align, RewardModel.DetectKind(dir));
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type": "vit", "architectures": ["ViTModel"]}""");
            var error = Assert.Throws<NotSupportedException>(() => RewardModel.DetectKind(dir));
            Assert.Contains("vit", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("reward-clip-tiny")]
    [InlineData("reward-align-tiny")]
    public void Score_from_files_in_paper_compat_reproduces_the_case(string name)
    {
        string folder = TestPaths.Fixture(name);
        using var fixture = FixtureCase.Load(folder);
        using var model = RewardModel.FromPretrained(folder);
        var reward = new LambdaHarmonicReward(model, new PromptText(PaperCompat: true));
        var refs = RewardModel.ReadImages(FixtureImages.Files(fixture, "reference"));
        var candidates = RewardModel.ReadImages(FixtureImages.Files(fixture, "candidates"));
        var prompts = FixtureImages.Strings(fixture, "prompts");
        var scores = reward.Score(refs, candidates, prompts, 0.3);
        Assert.Equal(FixtureImages.Strings(fixture, "text_prompts"), scores.Texts);
        Parity.AssertClose(fixture, "s_img", TorchSharp.torch.tensor(scores.SImg));
        Parity.AssertClose(fixture, "s_txt", TorchSharp.torch.tensor(scores.STxt));
        Parity.AssertClose(fixture, "reward.0.3", TorchSharp.torch.tensor(scores.Reward));
        Parity.AssertClose(fixture, "reward.0.7", TorchSharp.torch.tensor(scores.At(0.7).Reward));
        Parity.AssertClose(fixture, "reward.1", TorchSharp.torch.tensor(scores.At(1).Reward));
    }

    [Fact]
    public void Default_scoring_strips_the_identifier_and_one_prompt_serves_all_images()
    {
        string folder = TestPaths.Fixture("reward-clip-tiny");
        using var fixture = FixtureCase.Load(folder);
        using var model = RewardModel.FromPretrained(folder);
        var reward = new LambdaHarmonicReward(model);
        var refs = RewardModel.ReadImages(FixtureImages.Files(fixture, "reference"));
        var candidates = RewardModel.ReadImages(FixtureImages.Files(fixture, "candidates"));
        var scores = reward.Score(refs, candidates, ["a [V] dog wearing a green outfit"], 0.5);
        Assert.All(scores.Texts, t => Assert.Equal("a dog wearing a green outfit", t));
        Assert.Equal(candidates.Count, scores.Reward.Length);
        // The image side does not depend on the text.
        Parity.AssertClose(fixture, "s_img", TorchSharp.torch.tensor(scores.SImg));
    }
}
