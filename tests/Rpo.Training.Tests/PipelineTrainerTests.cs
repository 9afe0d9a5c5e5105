using System.Diagnostics;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Weights;
using Rpo.Training.Loss;
using Rpo.Training.Models;
using Rpo.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

[Collection(MemoryCollection.Name)]
public class PipelineTrainerMemoryTests
{
    [Fact]
    public void Fifty_tiny_unet_steps_keep_live_tensors_and_rss_flat()
    {
        using var setup = new TinyPipelineSetup();
        var models = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        using var trainer = new RpoTrainer(models, setup.Data, TinyPipelineSetup.Options(steps: 50, valEvery: 50));
        Assert.True(double.IsFinite(trainer.TrainStep().Loss));
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long live = Tensor.TotalCount;
        long rss = Process.GetCurrentProcess().WorkingSet64;
        var losses = new List<double>();
        trainer.Train(null, p => losses.Add(p.Loss));
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.Equal(49, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(live == Tensor.TotalCount, $"live tensors {live} after the first step, {Tensor.TotalCount} after 50");
        long growth = Process.GetCurrentProcess().WorkingSet64 - rss;
        Assert.True(growth < 64L << 20, $"RSS grew by {growth >> 20} MiB over 49 steps");
    }
}

public class PipelineTrainerTests
{
    static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    static double MaxDiff(IDictionary<string, Tensor> a, IDictionary<string, Tensor> b) =>
        a.Keys.Max(k => (a[k].to_type(ScalarType.Float64) - b[k].to_type(ScalarType.Float64)).abs().max().item<double>());

    [Fact]
    public void Resume_from_step_k_matches_the_uninterrupted_run()
    {
        using var setup = new TinyPipelineSetup();
        var options = TinyPipelineSetup.Options(steps: 6, valEvery: 3);
        var straight = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        IReadOnlyList<string> written;
        using (var a = new RpoTrainer(straight, setup.Data, options))
            written = a.Train(Path.Combine(setup.Folder, "a"));
        Assert.Equal(["checkpoint-3", "checkpoint-6"], written.Select(Path.GetFileName));

        // The checkpoint is a diffusers UNet folder that our loader (strict, by name) reads back.
        using (var loaded = UNet2DConditionModel.FromPretrained(Path.Combine(written[1], RpoTrainer.UnetFolder)))
            Assert.Equal(0, MaxDiff(Snapshot(loaded), Snapshot(straight.Unet)));

        var resumed = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        using (var b = new RpoTrainer(resumed, setup.Data, options))
        {
            b.LoadCheckpoint(written[0]);
            b.Train(null);
        }
        double diff = MaxDiff(Snapshot(straight.Unet), Snapshot(resumed.Unet));
        Assert.True(diff <= 1e-6, $"resumed run differs by {diff}");
    }

    [Fact]
    public void Lora_adapts_every_attention_projection_of_the_unet()
    {
        using var setup = new TinyPipelineSetup();
        var models = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        using var trainer = new RpoTrainer(models, setup.Data,
            TinyPipelineSetup.Options(steps: 2, valEvery: 2) with { Lora = new LoraOptions(4, 8) });
        var names = trainer.Lora!.TargetNames;
        // tiny UNet: transformer blocks in 2 down-block layers, the mid block and 3 up-block layers → 6 blocks,
        // two attentions each, four projections per attention.
        Assert.Equal(6 * 2 * 4, names.Count);
        Assert.Contains("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", names);
        Assert.Contains("mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0", names);
        Assert.Contains("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_k", names);
        var folder = trainer.Train(setup.Folder).Single();
        using var file = SafeTensorsFile.Open(Path.Combine(folder, Lora.LoraAdapters.WeightsName));
        Assert.Contains("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight", file.Tensors.Keys);
        Assert.Contains("unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0.lora_B.weight", file.Tensors.Keys);
        Assert.Equal(96, file.Tensors.Count);
    }

    [Fact]
    public void Guarded_unet_gradients_match_a_float64_copy()
    {
        using var scope = NewDisposeScope();
        string unetFolder = Path.Combine(TinyPipelineSetup.Pipeline, "unet");
        var unet = UNet2DConditionModel.FromPretrained(unetFolder);
        var unet64 = UNet2DConditionModel.FromPretrained(unetFolder);
        unet64.to(ScalarType.Float64);
        unet.train(); unet64.train();
        var g = new Generator(11);
        var x = randn([2, 4, 16, 16], generator: g);
        var text = randn([2, 77, 32], generator: g);
        var t = tensor(new long[] { 3, 900 });
        unet64.call(x.to_type(ScalarType.Float64), t, text.to_type(ScalarType.Float64)).square().mean().backward();
        using var guard = new ConvBackwardGuard(unet);
        Assert.Equal(["conv_out"], guard.Guarded);
        unet.call(x, t, text).square().mean().backward();
        var expected = unet64.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!);
        foreach (var (name, p) in unet.named_parameters())
        {
            double scale = expected[name].abs().max().item<double>();
            double diff = (p.grad!.to_type(ScalarType.Float64) - expected[name]).abs().max().item<double>();
            Assert.True(diff <= 1e-5 + 1e-3 * scale, $"{name}: |Δ| {diff} (max |g| {scale})");
        }
    }

    [Fact]
    public void Twenty_steps_lower_the_reference_loss_and_checkpoint_on_schedule()
    {
        using var setup = new TinyPipelineSetup();
        var models = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        var options = TinyPipelineSetup.Options(steps: 20, valEvery: 10) with { LearningRate = 1e-3 };
        using var trainer = new RpoTrainer(models, setup.Data, options);
        double before = ReferenceLoss(models, trainer, setup);
        var written = trainer.Train(setup.Folder);
        double after = ReferenceLoss(models, trainer, setup);
        Assert.Equal(["checkpoint-10", "checkpoint-20"], written.Select(Path.GetFileName));
        Assert.True(after < before, $"reference loss {before} → {after}");
    }

    /// <summary>mean ℓθ over the reference images under the reference prompt at fixed timesteps and noise.</summary>
    static double ReferenceLoss(TrainingModels models, RpoTrainer trainer, TinyPipelineSetup setup)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new Generator(123);
        var text = models.TextEncoder.Encode(setup.Data.ReferencePrompt);
        double total = 0;
        int count = 0;
        foreach (var image in setup.Data.References)
        {
            var pixels = Rpo.Diffusion.Imaging.ImageTensors.ToSignedTensor([image.CenterCrop(TinyPipelineSetup.Size, TinyPipelineSetup.Size)]);
            var (mean, _) = models.Vae.Encode(pixels);
            var latents = (mean * models.Vae.ScalingFactor).expand(8, -1, -1, -1);
            var noise = randn(latents.shape, generator: g);
            var t = tensor(new long[] { 50, 150, 250, 400, 550, 700, 850, 950 });
            var pred = models.Unet.call(models.Scheduler.AddNoise(latents, noise, t), t, text.expand(8, -1, -1));
            total += RpoLoss.PerSampleMse(pred, noise).sum().item<float>();
            count += 8;
        }
        return total / count;
    }
}
