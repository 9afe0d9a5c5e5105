using System.Text.Json;
using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Pipelines;
using Rpo.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Parity;

/// <summary>The fixture runners of this library's model families (schedulers: <see cref="SchedulerCaseRunner"/>).</summary>
public static class DiffusionFixtureRunners
{
    public static IEnumerable<IFixtureRunner> All() =>
        [new UnetCaseRunner(), new VaeCaseRunner(), new ClipTextCaseRunner(), new StableDiffusionPipelineCaseRunner(), new SchedulerCaseRunner()];
}

/// <summary><c>out.sample = unet(sample, timestep, encoder_hidden_states).sample</c>.</summary>
public sealed class UnetCaseRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["diffusers.UNet2DConditionModel"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        using var unet = UNet2DConditionModel.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        var sample = unet.call(fixture.Inputs["sample"], fixture.Inputs["timestep"], fixture.Inputs["encoder_hidden_states"]);
        return new Dictionary<string, Tensor> { ["sample"] = sample };
    }
}

/// <summary>Posterior moments of <c>vae.encode(image)</c> and <c>vae.decode(latents)</c> without scaling.</summary>
public sealed class VaeCaseRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["diffusers.AutoencoderKL"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        using var vae = AutoencoderKL.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        var outputs = new Dictionary<string, Tensor>();
        if (fixture.Inputs.TryGetValue("image", out var image))
        {
            var posterior = vae.Encode(image);
            outputs["latent_mean"] = posterior.Mean;
            outputs["latent_logvar"] = posterior.LogVar;
            outputs["latent_std"] = posterior.Std;
        }
        if (fixture.Inputs.TryGetValue("latents", out var latents))
            outputs["decoded"] = vae.Decode(latents);
        return outputs;
    }
}

/// <summary>
/// <c>text_encoder(input_ids, output_hidden_states=True)</c>: last_hidden_state, pooler_output, every hidden state, and
/// <c>final_layer_norm(hidden_states[-2])</c> (diffusers' clip_skip=1).
/// </summary>
public sealed class ClipTextCaseRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["transformers.CLIPTextModel"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        using var model = CLIPTextModel.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        var ids = fixture.Inputs["input_ids"];
        fixture.Inputs.TryGetValue("attention_mask", out var mask);
        var output = model.forward(ids, mask, outputHiddenStates: true);
        var outputs = new Dictionary<string, Tensor>
        {
            ["last_hidden_state"] = output.LastHiddenState,
            ["pooler_output"] = output.PoolerOutput,
            ["penultimate_final_ln"] = model.PromptEmbeddings(ids, mask, clipSkip: 1),
        };
        for (int i = 0; i < output.HiddenStates!.Count; i++) outputs[$"hidden_states.{i}"] = output.HiddenStates[i];
        return outputs;
    }
}

/// <summary>
/// The whole text-to-image call of a pipeline case: prompt embeddings from the stored ids, every step's UNet
/// input/timestep/output and latents, the decoded image, the NHWC output, and the tokenizer cases' padded ids.
/// </summary>
public sealed class StableDiffusionPipelineCaseRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["diffusers.StableDiffusionPipeline"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        var call = PipelineCall.Parse(fixture.Json);
        using var pipeline = StableDiffusionPipeline.FromPretrained(fixture.Folder);
        var outputs = new Dictionary<string, Tensor>();
        var tokenizerCases = fixture.FilePath("tokenizer_cases");
        if (tokenizerCases is not null && File.Exists(tokenizerCases))
            outputs["tokenizer_input_ids"] = pipeline.TokenIds(ReadTokenizerPrompts(tokenizerCases));

        // Embeddings from the stored ids (the tokenizer is checked separately above and by its own cases).
        outputs["prompt_embeds"] = pipeline.EncodeIds(fixture.Inputs["cond_input_ids"]);
        outputs["negative_prompt_embeds"] = pipeline.EncodeIds(fixture.Inputs["uncond_input_ids"]);
        var embeddings = cat([outputs["negative_prompt_embeds"], outputs["prompt_embeds"]]);

        var steps = new List<DenoisingStep>();
        pipeline.Scheduler.SetTimesteps(call.Steps);
        outputs["timesteps"] = pipeline.Scheduler.TimestepsTensor();
        Tensor final;
        using (no_grad())
        {
            var latents = fixture.Inputs["latents"] * pipeline.Scheduler.InitNoiseSigma;
            // The step's tensors die with its dispose scope: keep copies in the scope around this call.
            final = pipeline.Denoise(latents, embeddings, call.GuidanceScale, s => steps.Add(s with
            {
                UnetInput = Keep(s.UnetInput), UnetTimestep = Keep(s.UnetTimestep),
                UnetOutput = Keep(s.UnetOutput), Latents = Keep(s.Latents),
            }));
        }
        outputs["unet_input"] = stack(steps.Select(s => s.UnetInput));
        outputs["unet_timestep"] = stack(steps.Select(s => s.UnetTimestep));
        outputs["unet_output"] = stack(steps.Select(s => s.UnetOutput));
        outputs["step_latents"] = stack(steps.Select(s => s.Latents));
        outputs["final_latents"] = final;
        var decoded = pipeline.DecodeLatents(final);
        outputs["decoded"] = decoded;
        outputs["image"] = (decoded / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1);
        return outputs;
    }

    static Tensor Keep(Tensor t) => t.clone().MoveToOuterDisposeScope();

    static List<string> ReadTokenizerPrompts(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("prompt").GetString()!).ToList();
    }

    /// <summary>The parts of the case's recorded call this runner needs: steps and guidance scale.</summary>
    sealed record PipelineCall(int Steps, double GuidanceScale)
    {
        public static PipelineCall Parse(JsonElement json)
        {
            string call = json.GetProperty("call").GetString() ?? "";
            int steps = json.TryGetProperty("num_inference_steps", out var n) ? n.GetInt32() : (int)Number(call, "num_inference_steps");
            return new PipelineCall(steps, Number(call, "guidance_scale"));
        }

        static double Number(string call, string name)
        {
            var match = System.Text.RegularExpressions.Regex.Match(call, name + @"\s*=\s*([0-9.]+)");
            return match.Success
                ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : throw new InvalidDataException($"the case's call does not state {name}.");
        }
    }
}
