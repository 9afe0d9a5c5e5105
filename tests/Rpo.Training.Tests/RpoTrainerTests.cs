using Rpo.Diffusion.Weights;
using Rpo.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

public class RpoTrainerTests
{
    static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    static double MaxDiff(IDictionary<string, Tensor> a, IDictionary<string, Tensor> b) =>
        a.Keys.Max(k => (a[k].to_type(ScalarType.Float64) - b[k].to_type(ScalarType.Float64)).abs().max().item<double>());

    [Fact]
    public void Only_the_trained_unet_changes()
    {
        using var setup = new TinyTrainingSetup();
        var models = setup.Models();
        var before = Snapshot(models.Unet);
        var frozenBefore = Snapshot(models.ReferenceUnet);
        using var trainer = new RpoTrainer(models, setup.Data, TinyTrainingSetup.Options(steps: 3));
        trainer.Train(null);
        Assert.True(MaxDiff(before, Snapshot(models.Unet)) > 1e-5);
        Assert.Equal(0, MaxDiff(frozenBefore, Snapshot(models.ReferenceUnet)));
        Assert.All(models.ReferenceUnet.parameters(), p => Assert.True(p.grad is null));
    }

    [Fact]
    public void Gradient_norm_is_clipped_to_the_limit()
    {
        using var setup = new TinyTrainingSetup();
        var models = setup.Models();
        // lr tiny so that the update is the clipped gradient's direction; read the clipped norm back from AdamW's
        // first moment: after one step exp_avg = (1 - β1)·g_clipped.
        var options = TinyTrainingSetup.Options(steps: 1) with { MaxGradNorm = 1e-3, WeightDecay = 0 };
        using var trainer = new RpoTrainer(models, setup.Data, options);
        var result = trainer.TrainStep();
        Assert.True(result.GradNorm > 1e-3, $"pre-clip norm {result.GradNorm}");
        string folder = Path.Combine(setup.Folder, "clip");
        trainer.SaveCheckpoint(folder);
        // The clipped gradient's norm: the sum of squares of every exp_avg / (1 - β1).
        var probe = optim.AdamW(models.Unet.parameters(), lr: 1e-3);
        probe.load_state_dict(Path.Combine(folder, "checkpoint-1", RpoTrainer.OptimizerName));
        var dict = probe.state_dict();
        double sumSq = 0;
        foreach (var s in dict.State)
            if (s is TorchSharp.Modules.AdamW.State st) sumSq += (st.exp_avg / 0.1).square().sum().item<float>();
        Assert.Equal(1e-3, Math.Sqrt(sumSq), 5);
    }

    [Fact]
    public void Checkpoints_at_val_every_and_resume_matches_an_uninterrupted_run()
    {
        using var setup = new TinyTrainingSetup();
        var options = TinyTrainingSetup.Options(steps: 7, valEvery: 3);

        var straight = setup.Models();
        List<string> written;
        using (var trainer = new RpoTrainer(straight, setup.Data, options))
            written = trainer.Train(Path.Combine(setup.Folder, "a")).ToList();
        Assert.Equal(["checkpoint-3", "checkpoint-6"], written.Select(Path.GetFileName));
        string unet = Path.Combine(written[0], RpoTrainer.UnetFolder);
        Assert.Equal(TinyTrainingSetup.ConfigJson, File.ReadAllText(Path.Combine(unet, "config.json")));
        using (var file = SafeTensorsFile.Open(Path.Combine(unet, RpoTrainer.UnetWeightsName)))
        {
            Assert.Equal(straight.Unet.state_dict().Keys.Order(), file.Tensors.Keys.Order());
            Assert.All(file.Tensors.Values, t => Assert.Equal("F32", t.Dtype));
        }

        var resumed = setup.Models();
        using (var trainer = new RpoTrainer(resumed, setup.Data, options))
        {
            trainer.LoadCheckpoint(written[0]);
            Assert.Equal(3, trainer.Step);
            trainer.Train(null);
            Assert.Equal(7, trainer.Step);
            Assert.Equal(7, trainer.LabelsSeen);
        }
        double diff = MaxDiff(Snapshot(straight.Unet), Snapshot(resumed.Unet));
        Assert.True(diff <= 1e-6, $"resumed run differs by {diff}");

        // And a checkpoint written at step 3 loads back to exactly the weights the straight run had at step 3.
        var atThree = setup.LoadModel();
        ModuleWeights.Load(atThree, Path.Combine(unet, RpoTrainer.UnetWeightsName));
        Assert.True(MaxDiff(Snapshot(atThree), Snapshot(straight.Unet)) > 0);
    }

    [Fact]
    public void Float16_checkpoints_store_half_weights()
    {
        using var setup = new TinyTrainingSetup();
        var options = TinyTrainingSetup.Options(steps: 2, valEvery: 2) with { CheckpointPrecision = CheckpointPrecision.Float16 };
        using var trainer = new RpoTrainer(setup.Models(), setup.Data, options);
        var folder = trainer.Train(setup.Folder).Single();
        using var file = SafeTensorsFile.Open(Path.Combine(folder, RpoTrainer.UnetFolder, RpoTrainer.UnetWeightsName));
        Assert.All(file.Tensors.Values, t => Assert.Equal("F16", t.Dtype));
    }

    [Fact]
    public void Random_crops_of_non_square_references_are_encoded_once_each()
    {
        using var setup = new TinyTrainingSetup(references: 2, generated: 4, nonSquareWidth: 20);
        var models = setup.Models();
        using var trainer = new RpoTrainer(models, setup.Data, TinyTrainingSetup.Options(steps: 30, valEvery: 30));
        trainer.Train(null);
        int calls = ((PoolingLatentEncoder)models.Vae).Calls;
        // 4 square generated images up front; each reference has 5 crop positions (20 - 16 + 1) at most.
        Assert.InRange(calls, 4 + 2, 4 + 10);
    }

    [Theory]
    [InlineData("v_prediction")]
    public void V_prediction_models_train(string prediction)
    {
        using var setup = new TinyTrainingSetup();
        using var trainer = new RpoTrainer(setup.Models(prediction), setup.Data, TinyTrainingSetup.Options(steps: 2));
        Assert.All(Enumerable.Range(0, 2).Select(_ => trainer.TrainStep()), r => Assert.True(double.IsFinite(r.Loss)));
    }

    [Fact]
    public void Lora_trains_only_adapters_and_saves_diffusers_keys()
    {
        using var setup = new TinyTrainingSetup();
        var models = setup.Models();
        var before = Snapshot(models.Unet);
        var options = TinyTrainingSetup.Options(steps: 4, valEvery: 4) with { Lora = new LoraOptions(Rank: 2, Alpha: 4) };
        using var trainer = new RpoTrainer(models, setup.Data, options);
        var lora = trainer.Lora!;
        Assert.Equal(["attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0"], lora.TargetNames);
        var folder = trainer.Train(setup.Folder).Single();
        Assert.Equal(0, MaxDiff(before, Snapshot(models.Unet)));
        Assert.False(Directory.Exists(Path.Combine(folder, RpoTrainer.UnetFolder)));

        using var file = SafeTensorsFile.Open(Path.Combine(folder, LoraAdapters.WeightsName));
        Assert.Contains("unet.attn1.to_q.lora_A.weight", file.Tensors.Keys);
        Assert.Contains("unet.attn1.to_out.0.lora_B.weight", file.Tensors.Keys);
        Assert.Equal(8, file.Tensors.Count);
        Assert.Equal([2L, 16L], file.Tensors["unet.attn1.to_q.lora_A.weight"].Shape);
        Assert.Equal([16L, 2L], file.Tensors["unet.attn1.to_q.lora_B.weight"].Shape);
        // α/r = 2 is folded into B.
        using var savedB = file.Read("unet.attn1.to_q.lora_B.weight");
        var trainedB = lora.DiffusersStateDict()["unet.attn1.to_q.lora_B.weight"];
        Assert.True(savedB.abs().max().item<float>() > 0);
        Assert.Equal(0, (savedB - trainedB).abs().max().item<float>());

        // The adapted model's output is the base output plus the low-rank update on every target.
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 8, 8);
        var text = randn(1, 7, 32);
        var t = tensor(new long[] { 10 });
        Tensor withLora;
        using (no_grad()) withLora = models.Unet.call(x, t, text);
        lora.Dispose();
        Tensor without;
        using (no_grad()) without = models.Unet.call(x, t, text);
        Assert.True((withLora - without).abs().max().item<float>() > 0);
    }

    [Fact]
    public void Lora_resume_matches_an_uninterrupted_run()
    {
        using var setup = new TinyTrainingSetup();
        var options = TinyTrainingSetup.Options(steps: 5, valEvery: 2) with { Lora = new LoraOptions(Rank: 2, Alpha: 2) };
        var straight = setup.Models();
        using var a = new RpoTrainer(straight, setup.Data, options);
        var written = a.Train(Path.Combine(setup.Folder, "a"));
        var resumed = setup.Models();
        using var b = new RpoTrainer(resumed, setup.Data, options);
        b.LoadCheckpoint(written[0]);
        b.Train(null);
        double diff = MaxDiff(a.Lora!.DiffusersStateDict(), b.Lora!.DiffusersStateDict());
        Assert.True(diff <= 1e-6, $"resumed LoRA differs by {diff}");
    }

    [Fact]
    public void Frozen_model_in_bfloat16_trains_float32_weights()
    {
        using var setup = new TinyTrainingSetup();
        var models = setup.Models();
        using var trainer = new RpoTrainer(models, setup.Data, TinyTrainingSetup.Options(steps: 2) with { FrozenInBFloat16 = true });
        var r = trainer.TrainStep();
        Assert.True(double.IsFinite(r.Loss));
        Assert.All(models.ReferenceUnet.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.All(models.Unet.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }
}
