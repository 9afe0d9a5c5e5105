using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Schedulers;
using Rpo.Diffusion.Weights;
using Rpo.Training.Preferences;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

/// <summary>
/// A small conditional denoiser with the UNet's call signature and a diffusers-named attention (attn1.to_q … to_out.0),
/// standing in for UNet2DConditionModel until that lands on main: same training code path, seconds per 50 steps.
/// </summary>
sealed class TinyDenoiser : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Conv2d conv_in;
    readonly Linear time_embedding;
    readonly TinyAttention attn1;
    readonly Conv2d conv_out;

    public TinyDenoiser(long channels = 16, long textDim = 32) : base(nameof(TinyDenoiser))
    {
        conv_in = nn.Conv2d(4, channels, 3, padding: 1);
        time_embedding = nn.Linear(1, channels);
        attn1 = new TinyAttention(channels, textDim);
        conv_out = nn.Conv2d(channels, 4, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor t, Tensor text)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.call(x);
        var temb = time_embedding.call((t.to_type(h.dtype) / 1000).reshape(-1, 1));
        h = h + temb.reshape(temb.shape[0], temb.shape[1], 1, 1);
        long b = h.shape[0], c = h.shape[1], hh = h.shape[2], ww = h.shape[3];
        var tokens = h.flatten(2).transpose(1, 2);
        var attended = attn1.call(tokens, text).transpose(1, 2).reshape(b, c, hh, ww);
        return conv_out.call(nn.functional.silu(h + attended)).MoveToOuterDisposeScope();
    }
}

sealed class TinyAttention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear to_q;
    readonly Linear to_k;
    readonly Linear to_v;
    readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;

    public TinyAttention(long dim, long contextDim) : base(nameof(TinyAttention))
    {
        to_q = nn.Linear(dim, dim, hasBias: false);
        to_k = nn.Linear(contextDim, dim, hasBias: false);
        to_v = nn.Linear(contextDim, dim, hasBias: false);
        to_out = nn.ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(dim, dim), nn.Dropout(0.0));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        var q = to_q.call(x);
        var k = to_k.call(context);
        var v = to_v.call(context);
        var weights = (q.matmul(k.transpose(1, 2)) / Math.Sqrt(q.shape[^1])).softmax(-1);
        var o = weights.matmul(v);
        foreach (var m in to_out) o = m.call(o);
        return o.MoveToOuterDisposeScope();
    }
}

/// <summary>Stands in for the VAE encoder: 2×2 average pooling, a fourth channel of the grey level, fixed σ.</summary>
sealed class PoolingLatentEncoder : ILatentEncoder
{
    public double ScalingFactor => 0.5;
    public int Calls { get; private set; }

    public (Tensor Mean, Tensor Std) Encode(Tensor pixels)
    {
        Calls++;
        using var scope = NewDisposeScope();
        var pooled = nn.functional.avg_pool2d(pixels, 2);
        var mean = cat([pooled, pooled.mean([1], keepdim: true)], 1);
        var std = full_like(mean, 0.1);
        return (mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }
}

/// <summary>Stands in for the CLIP text encoder: a fixed random embedding per prompt (seeded by its characters).</summary>
sealed class HashPromptEncoder : IPromptEncoder
{
    public int Calls { get; private set; }

    public Tensor Encode(string prompt)
    {
        Calls++;
        ulong seed = 1469598103934665603UL;
        foreach (char ch in prompt) seed = (seed ^ ch) * 1099511628211UL;
        using var g = new Generator(seed);
        return randn([1, 7, 32], generator: g);
    }
}

/// <summary>Builds identical tiny runs: the base weights are written once and every model loads them.</summary>
sealed class TinyTrainingSetup : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"rpo-train-{Guid.NewGuid():N}");
    public string BaseWeights => Path.Combine(Folder, "base.safetensors");
    public TrainingData Data { get; }
    public const string ConfigJson = """{"_class_name":"TinyDenoiser","in_channels":4}""";

    public TinyTrainingSetup(int references = 3, int generated = 8, int size = 16, int? nonSquareWidth = null)
    {
        Directory.CreateDirectory(Folder);
        torch.manual_seed(1234);
        using (var model = new TinyDenoiser()) ModuleWeights.Save(model, BaseWeights);

        var refs = Enumerable.Range(0, references).Select(i => Pattern(nonSquareWidth ?? size, size, 10 + i)).ToList();
        var gens = Enumerable.Range(0, generated).Select(i => Pattern(size, size, 50 + i)).ToList();
        var prompts = Prompts.TrainingPrompts.Training("dog");
        var pairs = Enumerable.Range(0, generated).Select(j => new PreferencePair(j, j % 8, prompts[j % 8],
            Prompts.TrainingPrompts.TextPrompt(prompts[j % 8]), j % references, j, 0.6, 0.4, 0.55, j % 3 == 0 ? 0 : 1)).ToList();
        Data = new TrainingData(refs, Prompts.TrainingPrompts.ReferencePrompt("dog"), gens, new PreferenceRecord(0, 0, false, pairs));
    }

    static RgbImage Pattern(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new RgbImage(w, h);
        rng.NextBytes(img.Pixels);
        return img;
    }

    public static DDPMScheduler Scheduler(string prediction = "epsilon") => new(Rpo.Diffusion.Configs.ConfigJson.Parse<SchedulerConfig>(
        $$"""{"_class_name":"DDPMScheduler","beta_schedule":"scaled_linear","beta_start":0.00085,"beta_end":0.012,"num_train_timesteps":1000,"prediction_type":"{{prediction}}"}"""));

    public TinyDenoiser LoadModel()
    {
        var m = new TinyDenoiser();
        ModuleWeights.Load(m, BaseWeights);
        return m;
    }

    public TrainingModels Models(string prediction = "epsilon") =>
        new(LoadModel(), LoadModel(), ConfigJson, new PoolingLatentEncoder(), new HashPromptEncoder(), Scheduler(prediction));

    public static TrainingOptions Options(int steps = 6, int valEvery = 3) =>
        new() { Steps = steps, ValEvery = valEvery, Resolution = 16, LearningRate = 1e-3, Seed = 42 };

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, true);
    }
}
