using System.Text.Json;
using Rpo.Diffusion.Schedulers;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Parity;

/// <summary>
/// Runs a scheduler fixture case (../shared/fixtures/schedulers/*) the way its case.json <c>call</c> describes and returns
/// every output it produces by name (the caller compares them and owns the tensors):
/// DDPM cases: <c>noisy</c> = add_noise, <c>velocity</c> = get_velocity;
/// inference cases: set_timesteps(num_inference_steps), then per timestep scale_model_input and step on the stored
/// model output, stacking <c>prev_sample</c>, <c>pred_original_sample</c> (where defined) and <c>scaled_model_input</c>;
/// all cases: <c>timesteps</c>, <c>sigmas</c> (Euler, DPM-Solver), <c>init_noise_sigma</c>, <c>betas</c>, <c>alphas_cumprod</c>.
/// </summary>
public sealed class SchedulerCaseRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } =
    [
        "diffusers.DDPMScheduler", "diffusers.DDIMScheduler", "diffusers.EulerDiscreteScheduler", "diffusers.DPMSolverMultistepScheduler",
    ];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        string configPath = fixture.FilePath("config") ?? Path.Combine(fixture.Folder, "scheduler_config.json");
        var config = SchedulerConfig.Load(configPath);
        string className = fixture.ModelClass.Split('.')[^1];
        if (config.ClassName is { } named && className.Length > 0 && named != className)
            throw new InvalidDataException($"{fixture.Name}: case.json names {className} but {configPath} is a {named}.");
        var scheduler = SchedulerFactory.FromConfig(config with { ClassName = className.Length > 0 ? className : config.ClassName });

        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["betas"] = tensor(scheduler.Betas.ToArray()),
            ["alphas_cumprod"] = tensor(scheduler.AlphasCumprod.ToArray()),
        };
        if (scheduler is DDPMScheduler ddpm && !fixture.Inputs.ContainsKey("model_outputs"))
        {
            RunTraining(fixture, ddpm, outputs);
            return outputs;
        }
        RunSampling(fixture, scheduler, outputs);
        return outputs;
    }

    static void RunTraining(FixtureCase fixture, DDPMScheduler ddpm, Dictionary<string, Tensor> outputs)
    {
        var x0 = Input(fixture, "original_samples");
        var noise = Input(fixture, "noise");
        var timesteps = Input(fixture, "timesteps");
        outputs["noisy"] = ddpm.AddNoise(x0, noise, timesteps);
        outputs["velocity"] = ddpm.GetVelocity(x0, noise, timesteps);
        outputs["target"] = ddpm.TrainingTarget(x0, noise, timesteps);
    }

    static void RunSampling(FixtureCase fixture, IDiffusionScheduler scheduler, Dictionary<string, Tensor> outputs)
    {
        var modelOutputs = Input(fixture, "model_outputs");
        int steps = fixture.Json.TryGetProperty("num_inference_steps", out var n) && n.ValueKind == JsonValueKind.Number
            ? n.GetInt32()
            : (int)modelOutputs.shape[0];
        scheduler.SetTimesteps(steps);
        outputs["timesteps"] = scheduler.TimestepsTensor();
        outputs["init_noise_sigma"] = tensor(new[] { scheduler.InitNoiseSigma });
        if (scheduler is EulerDiscreteScheduler euler) outputs["sigmas"] = tensor(euler.Sigmas.ToArray());
        if (scheduler is DPMSolverMultistepScheduler dpm) outputs["sigmas"] = tensor(dpm.Sigmas.ToArray());

        var timesteps = scheduler.Timesteps;
        if (modelOutputs.shape[0] < timesteps.Count)
            throw new InvalidDataException($"{fixture.Name}: {timesteps.Count} timesteps but only {modelOutputs.shape[0]} model outputs.");
        var prev = new List<Tensor>();
        var predX0 = new List<Tensor>();
        var scaled = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            var sample = Input(fixture, "sample");
            for (int i = 0; i < timesteps.Count; i++)
            {
                scaled.Add(scheduler.ScaleModelInput(sample, timesteps[i]));
                var result = scheduler.Step(modelOutputs[i], timesteps[i], sample);
                prev.Add(result.PrevSample);
                if (result.PredOriginalSample is { } x0) predX0.Add(x0);
                sample = result.PrevSample;
            }
            outputs["prev_sample"] = stack(prev).MoveToOuterDisposeScope();
            outputs["scaled_model_input"] = stack(scaled).MoveToOuterDisposeScope();
            if (predX0.Count == prev.Count) outputs["pred_original_sample"] = stack(predX0).MoveToOuterDisposeScope();
        }
    }

    static Tensor Input(FixtureCase fixture, string name) =>
        fixture.Inputs.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{fixture.Name} has no input '{name}'.");
}
