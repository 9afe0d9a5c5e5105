using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Runtime;
using Rpo.Training.Models;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;
using Rpo.Training.Validation;
using TorchSharp;

namespace Rpo.Training.Tests;

public sealed class BaseModelTests
{
    [Fact]
    public void A_device_name_resolves_by_one_rule_for_every_host()
    {
        Assert.Equal("cpu", BaseModel.ResolveDevice("cpu"));
        Assert.Equal("cpu", BaseModel.ResolveDevice(" CPU "));
        var auto = TorchRuntime.DefaultDevice().ToString();
        Assert.Equal(auto, BaseModel.ResolveDevice(null));
        Assert.Equal(auto, BaseModel.ResolveDevice(""));
        Assert.Equal(auto, BaseModel.ResolveDevice("auto"));

        foreach (var unknown in new[] { "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda1" })
            Assert.Contains("is not one of auto, cpu, cuda or cuda:N", Assert.Throws<ArgumentException>(() => BaseModel.ResolveDevice(unknown)).Message, StringComparison.Ordinal);

        if (torch.cuda.is_available())
        {
            Assert.Equal("cuda:0", BaseModel.ResolveDevice("cuda:0"));
            int count = torch.cuda.device_count();
            Assert.Contains("numbered from 0", Assert.Throws<ArgumentException>(() => BaseModel.ResolveDevice($"cuda:{count}")).Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("CUDA is not available", Assert.Throws<ArgumentException>(() => BaseModel.ResolveDevice("cuda")).Message, StringComparison.Ordinal);
            Assert.Contains("CUDA is not available", Assert.Throws<ArgumentException>(() => BaseModel.ResolveDevice("cuda:0")).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_pipeline_whose_scheduler_is_not_implemented_here_samples_with_ddim_over_its_config()
    {
        // SD 1.5 ships PNDMScheduler: the worker must still generate its negatives, as rpo generate does.
        string folder = Directory.CreateTempSubdirectory("rpo-pndm-").FullName;
        try
        {
            CopyFolder(TinyPipelineSetup.Pipeline, folder);
            string config = Path.Combine(folder, "scheduler", "scheduler_config.json");
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"DDIMScheduler\"", "\"PNDMScheduler\"", StringComparison.Ordinal));
            using var model = BaseModel.Load(folder, "cpu");
            // The pipeline borrows the model's components: not disposed here.
            var pipeline = model.Pipeline();
            Assert.IsType<Rpo.Diffusion.Schedulers.DDIMScheduler>(pipeline.Scheduler);
            var image = model.Generator(steps: 2, guidanceScale: 7.5).Generate("a photo of a dog", seed: 3);
            Assert.True(image.Width > 0 && image.Height > 0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_base_model_generates_with_its_frozen_unet_or_a_fine_tune_and_training_one_leaves_it_untouched()
    {
        using var setup = new TinyPipelineSetup();
        using var model = BaseModel.Load(TinyPipelineSetup.Pipeline, "cpu");
        Assert.Equal(torch.CPU.ToString(), model.Device.ToString());
        Assert.All(model.Unet.parameters(), p => Assert.False(p.requires_grad));

        var generator = model.Generator(steps: 2, guidanceScale: 3);
        var before = generator.Generate("a dog", 5);
        Assert.Equal(before.Pixels, generator.Generate("a dog", 5).Pixels);

        // One LoRA step at a large rate: θ moves, φ (the shared base UNet) must not.
        var options = TinyPipelineSetup.Options(steps: 1, valEvery: 1) with { Lora = new LoraOptions(2, 2), LearningRate = 1e-1 };
        string checkpoint;
        using (var fineTuning = model.FineTune(setup.Data, options))
        {
            fineTuning.Trainer.TrainStep();
            checkpoint = fineTuning.Trainer.SaveCheckpoint(setup.Folder);
        }

        Assert.Equal(before.Pixels, generator.Generate("a dog", 5).Pixels);
        using (var lora = model.LoadFineTuned(checkpoint))
        {
            var tuned = model.Generator(steps: 2, guidanceScale: 3, lora).Generate("a dog", 5);
            Assert.NotEqual(before.Pixels, tuned.Pixels);
        }

        // A full UNet folder (here the base's own weights, as a checkpoint keeps it under unet/) gives the base's images.
        var full = Path.Combine(setup.Folder, "full");
        CopyFolder(Path.Combine(TinyPipelineSetup.Pipeline, "unet"), Path.Combine(full, RpoTrainer.UnetFolder));
        using (var copy = model.LoadFineTuned(full))
            Assert.Equal(before.Pixels, model.Generator(steps: 2, guidanceScale: 3, copy).Generate("a dog", 5).Pixels);

        var empty = Directory.CreateDirectory(Path.Combine(setup.Folder, "empty")).FullName;
        Assert.Contains("holds neither", Assert.Throws<InvalidDataException>(() => model.LoadFineTuned(empty)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generation_labels_and_scoring_run_without_gradients_whatever_the_caller_s_mode()
    {
        var generator = new GradModeGenerator();
        var scorer = new GradModeScorer();
        var folder = Path.Combine(Path.GetTempPath(), $"rpo-nograd-{Guid.NewGuid():N}");
        try
        {
            Assert.True(torch.is_grad_enabled());
            NegativeSet.Generate(generator, ["a photo of sks dog"], 1, 0, folder);
            CheckpointScoring.Score(1, generator, scorer, ["a photo of sks dog"], 1, 0.3, 0);
            PreferenceLabels.Build([new RgbImage(4, 4)], [new LabeledNegative(new RgbImage(4, 4), 0, "a photo of sks dog")], scorer, 0, 0);

            Assert.Equal([false, false], generator.GradEnabled);
            Assert.Equal([false, false], scorer.GradEnabled);
            Assert.True(torch.is_grad_enabled());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    sealed class GradModeGenerator : IImageGenerator
    {
        public List<bool> GradEnabled { get; } = [];

        public RgbImage Generate(string prompt, long seed)
        {
            GradEnabled.Add(torch.is_grad_enabled());
            return new RgbImage(4, 4);
        }
    }

    sealed class GradModeScorer : IRewardScorer
    {
        public List<bool> GradEnabled { get; } = [];

        public IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda)
        {
            GradEnabled.Add(torch.is_grad_enabled());
            return images.Select(_ => 0.5).ToList();
        }
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(from))
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }
}
