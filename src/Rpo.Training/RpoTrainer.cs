using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Weights;
using Rpo.Training.Loss;
using Rpo.Training.Lora;
using Rpo.Training.Optimization;
using Rpo.Training.Preferences;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training;

/// <summary>
/// The RPO optimisation loop (steps 4–5) with checkpoints (step 6 scores them elsewhere). One step trains on one pair:
/// the reference image under the reference prompt and the generated image under its training prompt, each with its own
/// random timestep and noise as in the reference code, loss <see cref="RpoLoss"/>, AdamW, grad-norm clipping of the
/// trained parameters. Reference and generated latents' distributions and all prompt embeddings are computed once.
/// <para>
/// Randomness is a function of (seed, step): step s draws its crops, latent samples, noise and timesteps from a
/// generator seeded with both, and epoch e's pair order from one seeded with (seed, e). A run resumed at step k
/// therefore continues exactly as the run that never stopped (given float32 weights and the optimizer state).
/// </para>
/// </summary>
public sealed class RpoTrainer : IDisposable
{
    public const string StateName = "trainer_state.json";
    public const string OptimizerName = "optimizer.bin";
    public const string UnetFolder = "unet";
    public const string UnetWeightsName = "diffusion_pytorch_model.safetensors";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    readonly TrainingModels models;
    readonly TrainingData data;
    readonly RpoOptimizationStep optimization;
    readonly Dictionary<string, Tensor> promptEmbeddings = new(StringComparer.Ordinal);
    readonly Dictionary<(bool Generated, int Index, int Top, int Left), (Tensor Mean, Tensor Std)> latentCache = [];
    readonly Dictionary<(bool Generated, int Index), RgbImage> resized = [];
    int[] order = [];
    int orderEpoch = -1;
    bool disposed;

    public RpoTrainer(TrainingModels models, TrainingData data, TrainingOptions options)
    {
        options.Validate();
        this.models = models;
        this.data = data;
        Options = options;
        ValidateData(data);

        optimization = new RpoOptimizationStep(models.Unet, models.ReferenceUnet, models.Scheduler, options);
        var device = optimization.Device;
        using (no_grad())
        {
            foreach (var prompt in data.Preferences.Pairs.Select(p => p.Prompt).Prepend(data.ReferencePrompt).Distinct())
                promptEmbeddings[prompt] = models.TextEncoder.Encode(prompt).detach().to(ScalarType.Float32, device).DetachFromDisposeScope();
            // Images that resize to exactly the training square have one crop: encode them now, so that steps allocate
            // nothing that outlives them. Other images are encoded the first time a crop position comes up.
            for (int i = 0; i < data.References.Count; i++) WarmIfSquare(false, i);
            for (int i = 0; i < data.Generated.Count; i++) WarmIfSquare(true, i);
        }
    }

    public TrainingOptions Options { get; }
    /// <summary>Steps done (the next step to run is <c>Step + 1</c>).</summary>
    public int Step { get; private set; }
    public int LabelsSeen { get; private set; }
    public int LabelsPreferringReference { get; private set; }
    public LoraAdapters? Lora => optimization.Lora;
    public IReadOnlyList<Parameter> TrainableParameters => optimization.TrainableParameters;

    /// <summary>Runs steps until <see cref="TrainingOptions.Steps"/> (or <paramref name="untilStep"/>), writing a
    /// checkpoint into <paramref name="checkpointRoot"/> every <see cref="TrainingOptions.ValEvery"/> steps.</summary>
    /// <returns>The checkpoint folders written, in step order.</returns>
    public IReadOnlyList<string> Train(string? checkpointRoot, Action<TrainingProgress>? progress = null,
        Action<int, string>? onCheckpoint = null, int? untilStep = null, CancellationToken cancellation = default)
    {
        int last = Math.Min(untilStep ?? Options.Steps, Options.Steps);
        var written = new List<string>();
        while (Step < last)
        {
            cancellation.ThrowIfCancellationRequested();
            var result = TrainStep();
            progress?.Invoke(new TrainingProgress(Step, Options.Steps, result.Loss, LabelsSeen, LabelsPreferringReference));
            if (checkpointRoot is not null && Step % Options.ValEvery == 0)
            {
                string folder = SaveCheckpoint(checkpointRoot);
                written.Add(folder);
                onCheckpoint?.Invoke(Step, folder);
            }
        }
        return written;
    }

    /// <summary>One optimisation step on the next pair.</summary>
    public TrainingStepResult TrainStep()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = NewDisposeScope();
        int step = Step;
        int pairIndex = PairAt(step);
        var pair = data.Preferences.Pairs[pairIndex];
        using var generator = new Generator(Mix((ulong)Options.Seed, (ulong)step, 1));

        var latents = cat([SampleLatent(false, pair.ReferenceIndex, generator), SampleLatent(true, pair.NegativeIndex, generator)]);
        var noise = randn(latents.shape, generator: generator).to(latents.device);
        var timesteps = randint(0, models.Scheduler.NumTrainTimesteps, [2], dtype: ScalarType.Int64, generator: generator).to(latents.device);
        var text = cat([promptEmbeddings[data.ReferencePrompt], promptEmbeddings[pair.Prompt]]);
        var labels = tensor(new float[] { pair.Label }).to(latents.device);

        var (terms, norm) = optimization.Run(latents, noise, timesteps, text, labels);

        Step = step + 1;
        LabelsSeen++;
        if (pair.Label == 1) LabelsPreferringReference++;
        return new TrainingStepResult(Step, terms.Loss.item<float>(), terms.PreferenceLoss.item<float>(),
            terms.ReferenceLoss.item<float>(), terms.Delta[0].item<float>(), norm, pairIndex, pair.Label);
    }

    int PairAt(int step)
    {
        int count = data.Preferences.Pairs.Count;
        int epoch = step / count;
        if (epoch != orderEpoch)
        {
            // A shuffled pass over all pairs per epoch, like the reference's DataLoader(shuffle=True).
            using var scope = NewDisposeScope();
            using var g = new Generator(Mix((ulong)Options.Seed, (ulong)epoch, 2));
            order = randperm(count, generator: g).data<long>().ToArray().Select(i => (int)i).ToArray();
            orderEpoch = epoch;
        }
        return order[step % count];
    }

    /// <summary>z = (μ + σ·n)·scaling_factor for a random (or centre) crop of the resized image.</summary>
    Tensor SampleLatent(bool generated, int index, Generator generator)
    {
        var image = Resized(generated, index);
        int size = Options.Resolution;
        int top, left;
        if (Options.CenterCrop)
        {
            // torchvision CenterCrop: int(round((h - size) / 2)).
            top = (int)Math.Round((image.Height - size) / 2.0, MidpointRounding.ToEven);
            left = (int)Math.Round((image.Width - size) / 2.0, MidpointRounding.ToEven);
        }
        else
        {
            // torchvision RandomCrop: i ~ U{0..h-size}, j ~ U{0..w-size}.
            top = (int)randint(0, image.Height - size + 1, [1], dtype: ScalarType.Int64, generator: generator).item<long>();
            left = (int)randint(0, image.Width - size + 1, [1], dtype: ScalarType.Int64, generator: generator).item<long>();
        }
        var (mean, std) = Distribution(generated, index, top, left);
        // Noise is drawn on the CPU generator and moved, so a run gives the same numbers on any device.
        var sample = mean + std * randn(mean.shape, generator: generator).to(mean.device);
        return sample * models.Vae.ScalingFactor;
    }

    (Tensor Mean, Tensor Std) Distribution(bool generated, int index, int top, int left)
    {
        var key = (generated, index, top, left);
        if (latentCache.TryGetValue(key, out var cached)) return cached;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int size = Options.Resolution;
        var crop = Resized(generated, index).Crop(left, top, size, size);
        var (mean, std) = models.Vae.Encode(ImageTensors.ToSignedTensor([crop]));
        var device = optimization.Device;
        var entry = (mean.detach().to(ScalarType.Float32, device).DetachFromDisposeScope(),
                     std.detach().to(ScalarType.Float32, device).DetachFromDisposeScope());
        latentCache[key] = entry;
        return entry;
    }

    void WarmIfSquare(bool generated, int index)
    {
        var image = Resized(generated, index);
        if (image.Width == Options.Resolution && image.Height == Options.Resolution) Distribution(generated, index, 0, 0);
    }

    /// <summary>torchvision <c>Resize(size)</c> on a PIL image: shorter side to size, longer int(size·long/short), bilinear.</summary>
    RgbImage Resized(bool generated, int index)
    {
        if (resized.TryGetValue((generated, index), out var image)) return image;
        var source = generated ? data.Generated[index] : data.References[index];
        int size = Options.Resolution;
        int w = source.Width, h = source.Height;
        (int nw, int nh) = w <= h ? (size, (int)((long)size * h / w)) : ((int)((long)size * w / h), size);
        image = nw == w && nh == h ? source : PillowResize.Resize(source, nw, nh, ResampleFilter.Bilinear);
        resized[(generated, index)] = image;
        return image;
    }

    /// <summary>
    /// Writes <c>checkpoint-{step}</c>: the UNet as a diffusers folder (<c>unet/config.json</c> +
    /// <c>diffusion_pytorch_model.safetensors</c>) or, with LoRA, <c>pytorch_lora_weights.safetensors</c>; the optimizer
    /// state; and <c>trainer_state.json</c> (step, label counts, seed, options).
    /// </summary>
    public string SaveCheckpoint(string root)
    {
        string folder = Path.Combine(root, $"checkpoint-{Step}");
        Directory.CreateDirectory(folder);
        var dtype = Options.CheckpointPrecision == CheckpointPrecision.Float16 ? ScalarType.Float16 : ScalarType.Float32;
        using (var scope = NewDisposeScope())
        {
            if (Lora is { } lora)
                lora.Save(Path.Combine(folder, LoraAdapters.WeightsName), dtype);
            else
            {
                string unet = Path.Combine(folder, UnetFolder);
                Directory.CreateDirectory(unet);
                File.WriteAllText(Path.Combine(unet, "config.json"), models.UnetConfigJson);
                var weights = models.Unet.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.detach().to_type(dtype)));
                SafeTensorsWriter.Write(Path.Combine(unet, UnetWeightsName), weights, new Dictionary<string, string> { ["format"] = "pt" });
            }
        }
        optimization.Optimizer.save_state_dict(Path.Combine(folder, OptimizerName));
        var state = new TrainerState(Step, LabelsSeen, LabelsPreferringReference, Options.Seed,
            "per-step torch.Generator seeded from (seed, step); pair order from (seed, epoch)", Options);
        File.WriteAllText(Path.Combine(folder, StateName), JsonSerializer.Serialize(state, Json));
        return folder;
    }

    /// <summary>Continues from a checkpoint of a run with the same seed, data and options.</summary>
    public void LoadCheckpoint(string folder)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, StateName)), Json)
            ?? throw new InvalidDataException($"{folder}: empty {StateName}.");
        if (state.Seed != Options.Seed)
            throw new InvalidOperationException($"{folder} was written by a run with seed {state.Seed}; this run has seed {Options.Seed}.");
        var lora = Lora;
        if ((state.Options.Lora is null) != (lora is null))
            throw new InvalidOperationException($"{folder} is a {(state.Options.Lora is null ? "full" : "LoRA")} checkpoint; this run is {(lora is null ? "full" : "LoRA")} fine-tuning.");
        if (lora is not null) lora.Load(Path.Combine(folder, LoraAdapters.WeightsName));
        else ModuleWeights.Load(models.Unet, Path.Combine(folder, UnetFolder, UnetWeightsName));
        optimization.Optimizer.load_state_dict(Path.Combine(folder, OptimizerName));
        Step = state.Step;
        LabelsSeen = state.LabelsSeen;
        LabelsPreferringReference = state.LabelsPreferringReference;
    }

    sealed record TrainerState(int Step, int LabelsSeen, int LabelsPreferringReference, long Seed, string RngScheme, TrainingOptions Options);

    static void ValidateData(TrainingData data)
    {
        if (data.References.Count == 0) throw new ArgumentException("no reference images.", nameof(data));
        if (data.Preferences.Pairs.Count == 0) throw new ArgumentException("no preference pairs.", nameof(data));
        foreach (var p in data.Preferences.Pairs)
        {
            if (p.ReferenceIndex < 0 || p.ReferenceIndex >= data.References.Count)
                throw new ArgumentException($"pair {p.Index} names reference image {p.ReferenceIndex}; there are {data.References.Count}.", nameof(data));
            if (p.NegativeIndex < 0 || p.NegativeIndex >= data.Generated.Count)
                throw new ArgumentException($"pair {p.Index} names generated image {p.NegativeIndex}; there are {data.Generated.Count}.", nameof(data));
            if (p.Label is not (0 or 1)) throw new ArgumentException($"pair {p.Index} has label {p.Label}.", nameof(data));
        }
    }

    /// <summary>SplitMix64 of the inputs: independent generator seeds per (seed, counter, stream).</summary>
    static ulong Mix(ulong seed, ulong counter, ulong stream)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL ^ (counter + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ stream * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in promptEmbeddings.Values) t.Dispose();
        foreach (var (m, s) in latentCache.Values) { m.Dispose(); s.Dispose(); }
        optimization.Dispose();
    }
}
