using Rpo.Cli;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Pipelines;
using Rpo.Diffusion.Weights;
using Rpo.Tests.Shared;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class GenerateCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-gen-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Generate_on_the_tiny_fixture_pipeline_writes_the_reference_image()
    {
        // The fixture's x_T came from torch.Generator().manual_seed(1200); TorchSharp's CPU generator draws the same numbers.
        string png = Path.Combine(_dir, "dog.png");
        int exit = await RpoApp.RunAsync(["generate", "--model", TestPaths.Fixture("sd-pipeline-tiny"), "--prompt", "a photo of sks dog",
            "--negative", "", "--steps", "5", "--guidance", "7.5", "--seed", "1200", "--width", "64", "--height", "64", "--device", "cpu", "--out", png]);
        Assert.Equal(ExitCodes.Ok, exit);

        using var fixture = FixtureCase.Load(TestPaths.Fixture("sd-pipeline-tiny"));
        var expected = fixture.Outputs["image"].data<float>().ToArray(); // [1, 64, 64, 3] in [0, 1]
        var written = ImageFile.ReadRgb(png);
        Assert.Equal((64, 64), (written.Width, written.Height));
        // 8-bit rounding of a value within the case's atol (2e-5) of the reference: at most half a level plus atol·255.
        double worst = expected.Select((v, i) => Math.Abs(written.Pixels[i] - v * 255.0)).Max();
        Assert.True(worst <= 0.5 + fixture.AtolFor("image") * 255, $"max 8-bit difference {worst}");
    }

    [Fact]
    public async Task Init_model_writes_a_loadable_reproducible_pipeline_and_refuses_a_full_folder()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["init-model", "--tiny", a]));
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["init-model", "--tiny", b]));
        foreach (var file in new[] { "unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors", "tokenizer/vocab.json", "reward/model.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, file)), File.ReadAllBytes(Path.Combine(b, file)));
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["init-model", "--tiny", a]));
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["init-model", a]));

        using var pipeline = StableDiffusionPipeline.FromPretrained(a);
        using var result = pipeline.Generate(new GenerationRequest { Prompts = ["a [V] dog on the beach"], Steps = 2, Generator = new TorchSharp.torch.Generator(3) });
        Assert.Equal([1L, 3, 64, 64], result.Images.shape);
        Assert.True(result.Images.min().item<float>() >= 0 && result.Images.max().item<float>() <= 1);

        // The reward encoder beside it loads as a CLIP reward model and scores the pipeline's own image.
        using var reward = Rpo.Rewards.RewardModel.FromPretrained(Path.Combine(a, "reward"));
        Assert.Equal(Rpo.Rewards.RewardEncoderKind.Clip, reward.Kind);
        var image = ImageTensors.FromSignedTensor(result.Images * 2 - 1);
        var scores = new Rpo.Rewards.LambdaHarmonicReward(reward).Score(image, image, ["a [V] dog on the beach"], 0.3);
        Assert.True(double.IsFinite(scores.Reward[0]));
        Assert.Equal(1.0, scores.SImg[0], 4);
    }

    [Fact]
    public async Task Generate_reports_bad_input_as_failures_not_crashes()
    {
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync(["generate", "--prompt", "x", "--out", "y.png"]));
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["generate", "--model", Path.Combine(_dir, "missing"), "--prompt", "x", "--out", "y.png"]));
        // A folder that is not a pipeline fails the command (exit 1) without crashing the process.
        string broken = Directory.CreateDirectory(Path.Combine(_dir, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "model_index.json"), "{}");
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["generate", "--model", broken, "--prompt", "x", "--out", Path.Combine(_dir, "z.png")]));
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["generate", "--model", TestPaths.Fixture("sd-pipeline-tiny"), "--prompt", "x",
            "--scheduler", "plms", "--out", Path.Combine(_dir, "y.png")]));
    }
}
