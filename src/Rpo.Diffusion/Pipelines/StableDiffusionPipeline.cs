using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Schedulers;
using Rpo.Diffusion.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Pipelines;

/// <summary>
/// Text-to-image with classifier-free guidance, as diffusers' <c>StableDiffusionPipeline.__call__</c> (0.25.1):
/// encode prompt and negative prompt, draw x_T on the CPU, then for each timestep run the UNet on
/// <c>[uncond, cond]</c>, mix <c>uncond + g·(cond − uncond)</c>, step the scheduler; decode latents / scaling_factor.
/// The components are public so a trainer can swap in its UNet; the pipeline owns and disposes them.
/// </summary>
public sealed class StableDiffusionPipeline : IDisposable
{
    public StableDiffusionPipeline(ClipTokenizer tokenizer, CLIPTextModel textEncoder, UNet2DConditionModel unet, AutoencoderKL vae,
        IDiffusionScheduler scheduler, Device? device = null)
    {
        Tokenizer = tokenizer;
        TextEncoder = textEncoder;
        Unet = unet;
        Vae = vae;
        Scheduler = scheduler;
        Device = device ?? CPU;
    }

    public ClipTokenizer Tokenizer { get; }
    public CLIPTextModel TextEncoder { get; }
    public UNet2DConditionModel Unet { get; }
    public AutoencoderKL Vae { get; }
    public IDiffusionScheduler Scheduler { get; }
    public Device Device { get; }

    /// <summary>Pixels per latent cell: 2^(number of VAE blocks − 1), 8 for Stable Diffusion.</summary>
    public int VaeScaleFactor => 1 << (Vae.Config.BlockOutChannels.Count - 1);

    /// <summary>
    /// Loads a diffusers folder. <paramref name="scheduler"/> overrides the folder's scheduler class over its config
    /// (diffusers' <c>Kind.from_config</c>); null keeps the folder's class, which must be one implemented here.
    /// </summary>
    public static StableDiffusionPipeline FromPretrained(string folder, SchedulerKind? scheduler = null,
        ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var layout = DiffusersPipelineFolder.Open(folder);
        device ??= CPU;
        string schedulerFolder = layout.Component("scheduler");
        var sampler = scheduler is { } kind ? SchedulerFactory.Create(kind, schedulerFolder) : SchedulerFactory.FromConfig(schedulerFolder);
        var tokenizer = ClipTokenizer.FromPretrained(layout.Component("tokenizer"));
        var textEncoder = CLIPTextModel.FromPretrained(layout.Component("text_encoder"));
        var unet = UNet2DConditionModel.FromPretrained(layout.Component("unet"), dtype, device);
        var vae = AutoencoderKL.FromPretrained(layout.Component("vae"), dtype, device);
        textEncoder.to(device, dtype);
        textEncoder.eval();
        return new StableDiffusionPipeline(tokenizer, textEncoder, unet, vae, sampler, device);
    }

    /// <summary>Token ids padded to the tokenizer's max length (77), truncated, as the pipeline's <c>_encode_prompt</c>.</summary>
    public Tensor TokenIds(IReadOnlyList<string> texts) =>
        Tokenizer.EncodeBatch(texts, ClipPadding.MaxLength, truncation: true).InputIdsTensor(Device);

    /// <summary>Prompt embeddings of token ids, without attention mask (as SD calls its text encoder).</summary>
    public Tensor EncodeIds(Tensor inputIds, int clipSkip = 0)
    {
        using var _ = no_grad();
        return TextEncoder.PromptEmbeddings(inputIds.to(Device), null, clipSkip > 0 ? clipSkip : null);
    }

    /// <summary>
    /// [negative; positive] embeddings stacked for guidance (negative first, as diffusers concatenates), each repeated
    /// <paramref name="imagesPerPrompt"/> times; just the positive ones when guidance is off.
    /// </summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts, bool guidance, int clipSkip = 0, int imagesPerPrompt = 1)
    {
        if (negativePrompts is not null && negativePrompts.Count != prompts.Count)
            throw new ArgumentException($"{negativePrompts.Count} negative prompts for {prompts.Count} prompts.", nameof(negativePrompts));
        using var scope = NewDisposeScope();
        var positive = EncodeIds(TokenIds(prompts), clipSkip).repeat_interleave(imagesPerPrompt, dim: 0);
        if (!guidance) return positive.MoveToOuterDisposeScope();
        var negative = EncodeIds(TokenIds(negativePrompts ?? prompts.Select(_ => "").ToList()), clipSkip).repeat_interleave(imagesPerPrompt, dim: 0);
        return cat([negative, positive]).MoveToOuterDisposeScope();
    }

    public GenerationResult Generate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Prompts.Count == 0) throw new ArgumentException("at least one prompt is needed.", nameof(request));
        if (request.Steps < 1) throw new ArgumentOutOfRangeException(nameof(request), $"steps must be ≥ 1, not {request.Steps}.");
        if (request.ImagesPerPrompt < 1) throw new ArgumentOutOfRangeException(nameof(request), "images per prompt must be ≥ 1.");
        int sampleSize = Unet.Config.SampleSize?.Single ?? Unet.Config.SampleSize?.List?[0] ?? 64;
        int height = request.Height ?? sampleSize * VaeScaleFactor;
        int width = request.Width ?? sampleSize * VaeScaleFactor;
        if (height % VaeScaleFactor != 0 || width % VaeScaleFactor != 0)
            throw new ArgumentException($"height and width must be multiples of {VaeScaleFactor}, not {height}×{width}.", nameof(request));
        bool guidance = request.GuidanceScale > 1.0;

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var embeddings = EncodePrompts(request.Prompts, request.NegativePrompts, guidance, request.ClipSkip, request.ImagesPerPrompt);
        long batch = (long)request.Prompts.Count * request.ImagesPerPrompt;
        long[] shape = [batch, Unet.Config.InChannels, height / VaeScaleFactor, width / VaeScaleFactor];
        var initial = request.Latents ?? randn(shape, ScalarType.Float32, CPU, generator: request.Generator);
        if (!initial.shape.SequenceEqual(shape))
            throw new ArgumentException($"latents are [{string.Join(", ", initial.shape)}], expected [{string.Join(", ", shape)}].", nameof(request));

        Scheduler.SetTimesteps(request.Steps);
        var latents = initial.to(ModelDtype, Device) * Scheduler.InitNoiseSigma;
        latents = Denoise(latents, embeddings, request.GuidanceScale, request.OnStep);
        var images = (DecodeLatents(latents) / 2 + 0.5).clamp(0, 1).to_type(ScalarType.Float32).cpu();
        return new GenerationResult(images.MoveToOuterDisposeScope(), latents.to_type(ScalarType.Float32).cpu().MoveToOuterDisposeScope());
    }

    ScalarType ModelDtype => Unet.parameters().First().dtype;

    /// <summary>
    /// The denoising loop over <see cref="Scheduler"/>'s timesteps (call <c>SetTimesteps</c> first). With guidance,
    /// <paramref name="embeddings"/> holds [negative; positive] and the UNet runs on the doubled batch.
    /// </summary>
    public Tensor Denoise(Tensor latents, Tensor embeddings, double guidanceScale, Action<DenoisingStep>? onStep = null)
    {
        bool guidance = guidanceScale > 1.0;
        var timesteps = Scheduler.Timesteps;
        var current = latents;
        for (int i = 0; i < timesteps.Count; i++)
        {
            using var step = NewDisposeScope();
            double t = timesteps[i];
            var modelInput = guidance ? cat([current, current]) : current;
            modelInput = Scheduler.ScaleModelInput(modelInput, t);
            var timestep = TimestepTensor(t);
            var output = Unet.call(modelInput, timestep, embeddings);
            var noise = output;
            if (guidance)
            {
                var halves = output.chunk(2);
                noise = halves[0] + guidanceScale * (halves[1] - halves[0]);
            }
            var next = Scheduler.Step(noise, t, current).PrevSample;
            onStep?.Invoke(new DenoisingStep(i, timesteps.Count, t, modelInput, timestep, output, next));
            var previous = current;
            current = next.MoveToOuterDisposeScope();
            if (!ReferenceEquals(previous, latents)) previous.Dispose();
        }
        return current;
    }

    /// <summary>The timestep as the UNet receives it: a 0-d tensor in the scheduler's dtype (int64, or float32 for Euler).</summary>
    Tensor TimestepTensor(double t) =>
        Scheduler.TimestepDtype == ScalarType.Int64 ? tensor((long)t, device: Device) : tensor((float)t, device: Device);

    /// <summary>Images about [-1, 1] from latents: <c>vae.decode(latents / scaling_factor)</c>.</summary>
    public Tensor DecodeLatents(Tensor latents)
    {
        using var _ = no_grad();
        using var scaled = latents / Vae.ScalingFactor;
        return Vae.Decode(scaled);
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        Unet.Dispose();
        Vae.Dispose();
    }
}
