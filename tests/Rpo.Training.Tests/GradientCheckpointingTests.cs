using Rpo.Diffusion.Models.Unet;
using Rpo.Training.Optimization;
using Rpo.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

public class GradientCheckpointingTests
{
    static Dictionary<string, Tensor> Gradients(UNet2DConditionModel unet, Tensor x, Tensor t, Tensor text)
    {
        foreach (var p in unet.parameters()) p.grad = null;
        unet.call(x, t, text).square().mean().backward();
        return unet.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!.clone());
    }

    [Fact]
    public void Checkpointed_unet_gives_the_same_gradients()
    {
        using var scope = NewDisposeScope();
        var unet = UNet2DConditionModel.FromPretrained(TestPaths.Fixture("unet-sd1-tiny"));
        unet.train();
        var g = new Generator(5);
        var x = randn([2, 4, 16, 16], generator: g);
        var text = randn([2, 77, 32], generator: g);
        var t = tensor(new long[] { 20, 640 });
        using var guard = new ConvBackwardGuard(unet);
        var plain = Gradients(unet, x, t, text);
        using (var checkpointing = new GradientCheckpointing(unet))
        {
            // sd1-tiny: 2 + 2 + 3 + 3 resnets in the down/up blocks, 2 in the mid block; 2 + 1 + 3 transformers.
            Assert.Equal(12 + 6, checkpointing.Checkpointed.Count);
            var checkpointed = Gradients(unet, x, t, text);
            foreach (var (name, expected) in plain)
            {
                double diff = (checkpointed[name] - expected).abs().max().item<float>();
                double scale = expected.abs().max().item<float>();
                Assert.True(diff <= 1e-6 + 1e-5 * scale, $"{name}: |Δ| {diff} (max |g| {scale})");
            }
        }
        // Hooks removed: plain training again.
        var after = Gradients(unet, x, t, text);
        Assert.Equal(0, (after["conv_in.weight"] - plain["conv_in.weight"]).abs().max().item<float>(), 6);
    }

    [Fact]
    public void Lora_gradients_of_a_frozen_checkpointed_unet_are_unchanged()
    {
        using var scope = NewDisposeScope();
        var unet = UNet2DConditionModel.FromPretrained(TestPaths.Fixture("unet-sd1-tiny"));
        foreach (var p in unet.parameters()) p.requires_grad = false;
        using var lora = new Lora.LoraAdapters(unet, new LoraOptions(2, 2), seed: 3);
        using (no_grad())
            foreach (var (name, p) in lora.named_parameters())
                if (name.Contains("lora_B", StringComparison.Ordinal)) p.normal_(0, 0.1);
        var g = new Generator(6);
        var x = randn([1, 4, 16, 16], generator: g);
        var text = randn([1, 77, 32], generator: g);
        var t = tensor(new long[] { 300 });
        Dictionary<string, Tensor> Grads()
        {
            foreach (var p in lora.parameters()) p.grad = null;
            unet.call(x, t, text).square().mean().backward();
            return lora.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!.clone());
        }
        var plain = Grads();
        Dictionary<string, Tensor> checkpointed;
        using (new GradientCheckpointing(unet)) checkpointed = Grads();
        foreach (var (name, expected) in plain)
        {
            double diff = (checkpointed[name] - expected).abs().max().item<float>();
            Assert.True(diff <= 1e-6 + 1e-5 * expected.abs().max().item<float>(), $"{name}: |Δ| {diff}");
        }
    }

    [Fact]
    public void Trainer_runs_with_checkpointing_and_lora()
    {
        using var setup = new TinyPipelineSetup();
        var models = Models.PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        var options = TinyPipelineSetup.Options(steps: 2, valEvery: 2) with { GradientCheckpointing = true, Lora = new LoraOptions(2, 2) };
        using var trainer = new RpoTrainer(models, setup.Data, options);
        var a = trainer.TrainStep();
        var b = trainer.TrainStep();
        Assert.True(double.IsFinite(a.Loss) && double.IsFinite(b.Loss));
        double maxB = trainer.Lora!.DiffusersStateDict().Where(kv => kv.Key.EndsWith("lora_B.weight", StringComparison.Ordinal))
            .Max(kv => kv.Value.abs().max().item<float>());
        Assert.True(maxB > 0);
    }
}
