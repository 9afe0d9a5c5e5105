using Rpo.Pipeline.Runs;
using Rpo.Rewards;
using Rpo.Training.Models;

namespace Rpo.Pipeline.Gpu;

/// <summary>Where the GPU job handlers find their models.</summary>
/// <param name="CacheFolder">Where the tiny mock model is written the first time a job names <see cref="GpuModels.Tiny"/>.</param>
/// <param name="ModelsFolder">Where Hugging Face models are downloaded or mounted, as {ModelsFolder}/{org}/{name}
/// ("stabilityai/stable-diffusion-2-1" → {ModelsFolder}/stabilityai/stable-diffusion-2-1); null: ids do not resolve.</param>
/// <param name="AlignRewardFolder">The ALIGN transformers folder used when the pipeline folder has no reward/.</param>
/// <param name="ClipRewardFolder">The CLIP transformers folder used when the pipeline folder has no reward/.</param>
/// <param name="Device">Where the networks run, by name: "cpu", "cuda", "cuda:1"; null or "auto" picks CUDA when LibTorch
/// sees a GPU, else the CPU (resolved by Rpo.Training, <see cref="BaseModel.ResolveDevice"/>).</param>
public sealed record GpuModelSettings(
    string CacheFolder,
    string? ModelsFolder = null,
    string? AlignRewardFolder = null,
    string? ClipRewardFolder = null,
    string? Device = null);

/// <summary>
/// A model a job names cannot be found; the message says what is missing and where it was looked for. An argument
/// error, so the worker treats it as one a retry cannot fix (the job names a model this worker lacks).
/// </summary>
public sealed class ModelNotFoundException : ArgumentException
{
    public ModelNotFoundException()
    {
    }

    public ModelNotFoundException(string message)
        : base(message)
    {
    }

    public ModelNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The models catalog of a GPU worker (or of <c>rpo run</c>): resolves a run's base model name and reward encoder to
/// local folders, and loads each once, so a worker that runs many jobs pays the load once. Rules:
/// <list type="bullet">
/// <item>an existing folder path is used as is;</item>
/// <item><see cref="Tiny"/> is the seeded tiny model of <c>rpo init-model --tiny</c>, written once into the cache folder;</item>
/// <item>a Hugging Face id resolves under <see cref="GpuModelSettings.ModelsFolder"/>; nothing is downloaded;</item>
/// <item>the reward encoder is the pipeline folder's <c>reward/</c> when it has one, else the folder configured for the
/// run's encoder (ALIGN or CLIP).</item>
/// </list>
/// The models themselves are Rpo.Training's (<see cref="BaseModel"/>: loaded on the catalog's device, shared by every job
/// and never trained; a job that trains or applies a fine-tuned UNet gets its own copy of the UNet from it). Thread-safe;
/// dispose at the end.
/// </summary>
public sealed class GpuModels : IDisposable
{
    /// <summary>The model name that means the tiny seeded mock model.</summary>
    public const string Tiny = "tiny";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, BaseModel> _bases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RewardModel> _rewards = new(StringComparer.Ordinal);
    private bool _disposed;

    public GpuModels(GpuModelSettings settings)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.CacheFolder);
        // Resolved now, so a worker configured for a GPU it lacks fails at start rather than at every job.
        Device = BaseModel.ResolveDevice(settings.Device);
    }

    public GpuModelSettings Settings { get; }

    /// <summary>The device the models load on, by its canonical name ("cpu", "cuda", "cuda:1").</summary>
    public string Device { get; }

    /// <summary>The diffusers folder <paramref name="baseModel"/> names; throws <see cref="ModelNotFoundException"/> saying what to do.</summary>
    public string ResolvePipeline(string baseModel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseModel);
        if (string.Equals(baseModel, Tiny, StringComparison.OrdinalIgnoreCase))
        {
            return EnsureTiny();
        }

        if (Directory.Exists(baseModel))
        {
            return RequirePipeline(Path.GetFullPath(baseModel), baseModel);
        }

        if (Settings.ModelsFolder is { } root && !Path.IsPathRooted(baseModel))
        {
            var mounted = Path.Combine(root, baseModel.Replace('/', Path.DirectorySeparatorChar));
            if (Directory.Exists(mounted))
            {
                return RequirePipeline(Path.GetFullPath(mounted), baseModel);
            }
        }

        var where = Settings.ModelsFolder is { } folder
            ? $"download it there (huggingface-cli download {baseModel} --local-dir {Path.Combine(folder, baseModel)}) or mount it at that path"
            : "download it (huggingface-cli download <id> --local-dir <folder>) and name that folder, or set the models folder the worker resolves ids under (RpoWorker__ModelsFolder)";
        throw new ModelNotFoundException($"Base model '{baseModel}' is not a local folder; {where}. '{Tiny}' names the tiny mock model.");
    }

    /// <summary>The reward encoder folder for a run on <paramref name="baseModel"/> with <paramref name="encoder"/>.</summary>
    public string ResolveReward(string baseModel, RewardEncoder encoder)
    {
        var bundled = Path.Combine(ResolvePipeline(baseModel), TinyRewardModel.PipelineSubfolder);
        if (Directory.Exists(bundled))
        {
            return bundled;
        }

        var configured = encoder == RewardEncoder.Clip ? Settings.ClipRewardFolder : Settings.AlignRewardFolder;
        var name = encoder == RewardEncoder.Clip ? "Clip" : "Align";
        if (configured is null)
        {
            throw new ModelNotFoundException(
                $"No {name.ToUpperInvariant()} reward encoder: {bundled} does not exist and no {name} reward folder is configured (RpoWorker__{name}RewardFolder, a transformers folder such as kakaobrain/align-base or openai/clip-vit-base-patch16).");
        }

        return Directory.Exists(configured)
            ? configured
            : throw new ModelNotFoundException($"The configured {name.ToUpperInvariant()} reward folder {configured} does not exist; download or mount the transformers model there.");
    }

    /// <summary>The loaded base pipeline components of <paramref name="baseModel"/>, loaded on first use.</summary>
    public BaseModel Base(string baseModel)
    {
        var folder = ResolvePipeline(baseModel);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_bases.TryGetValue(folder, out var loaded))
            {
                loaded = BaseModel.Load(folder, Device);
                _bases[folder] = loaded;
            }

            return loaded;
        }
    }

    /// <summary>The loaded reward model of a run (borrowed: this catalog disposes it).</summary>
    public RewardModel Reward(string baseModel, RewardEncoder encoder)
    {
        var folder = ResolveReward(baseModel, encoder);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_rewards.TryGetValue(folder, out var loaded))
            {
                loaded = RewardModel.FromPretrained(folder);
                _rewards[folder] = loaded;
            }

            return loaded;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var model in _bases.Values)
            {
                model.Dispose();
            }

            foreach (var reward in _rewards.Values)
            {
                reward.Dispose();
            }

            _bases.Clear();
            _rewards.Clear();
        }
    }

    private string EnsureTiny()
    {
        var folder = Path.GetFullPath(Path.Combine(Settings.CacheFolder, Tiny));
        lock (_lock)
        {
            if (File.Exists(Path.Combine(folder, "model_index.json")))
            {
                return folder;
            }

            // Written beside and moved in, so a process killed mid-write never leaves a half model that looks whole.
            var partial = folder + ".partial-" + Environment.ProcessId;
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            TinyRewardModel.WriteWithPipeline(partial);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.Move(partial, folder);
            return folder;
        }
    }

    private static string RequirePipeline(string folder, string name) =>
        File.Exists(Path.Combine(folder, "unet", "config.json"))
            ? folder
            : throw new ModelNotFoundException($"Base model '{name}' ({folder}) is not a diffusers Stable Diffusion folder: it has no unet/config.json.");
}
