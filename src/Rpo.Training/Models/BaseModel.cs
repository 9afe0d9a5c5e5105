using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Pipelines;
using Rpo.Diffusion.Runtime;
using Rpo.Diffusion.Schedulers;
using Rpo.Diffusion.Tokenizers;
using Rpo.Training.Adapters;
using Rpo.Training.Negatives;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Models;

/// <summary>
/// A diffusers Stable Diffusion folder loaded once on one device, for hosts that run many jobs on it (the GPU worker,
/// <c>rpo run</c>): tokenizer, text encoder, VAE and the frozen base UNet, shared by every job and never trained. What a
/// job needs is made from it — image generators over the base or a <see cref="FineTunedUnet"/>, and a
/// <see cref="UnetFineTuning"/> that trains a fresh copy of the UNet against the shared one as φ — so a host needs no
/// tensors of its own. Pipelines built here borrow the components (each with a fresh scheduler, whose timesteps are
/// per call).
/// </summary>
public sealed class BaseModel : IDisposable
{
    BaseModel(string folder, Device device, ClipTokenizer tokenizer, CLIPTextModel textEncoder, AutoencoderKL vae, UNet2DConditionModel unet)
    {
        Folder = folder;
        Device = device;
        Tokenizer = tokenizer;
        TextEncoder = textEncoder;
        Vae = vae;
        Unet = unet;
        UnetConfigJson = File.ReadAllText(Path.Combine(folder, "unet", "config.json"));
    }

    public string Folder { get; }

    public Device Device { get; }

    public ClipTokenizer Tokenizer { get; }

    public CLIPTextModel TextEncoder { get; }

    public AutoencoderKL Vae { get; }

    /// <summary>The base UNet: generates negatives and is φ, the frozen reference, of every training job.</summary>
    public UNet2DConditionModel Unet { get; }

    public string UnetConfigJson { get; }

    /// <summary>The training resolution the base model was made for (<see cref="PipelineTrainingModels.DefaultResolution"/>).</summary>
    public int Resolution => PipelineTrainingModels.DefaultResolution(Folder);

    /// <summary>The canonical name of the device <paramref name="device"/> names (<see cref="TorchRuntime.ResolveDevice"/>'s rules), e.g. "cpu" or "cuda:1".</summary>
    public static string ResolveDevice(string? device) => TorchRuntime.ResolveDevice(device).ToString();

    /// <param name="folder">A diffusers pipeline folder.</param>
    /// <param name="device">Where the networks run, by name (<see cref="TorchRuntime.ResolveDevice"/>): null picks CUDA when LibTorch sees a GPU, else the CPU.</param>
    public static BaseModel Load(string folder, string? device = null) => Load(folder, TorchRuntime.ResolveDevice(device));

    public static BaseModel Load(string folder, Device device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(device);
        var tokenizer = ClipTokenizer.FromPretrained(Path.Combine(folder, "tokenizer"));
        CLIPTextModel? text = null;
        AutoencoderKL? vae = null;
        try
        {
            text = CLIPTextModel.FromPretrained(Path.Combine(folder, "text_encoder"));
            text.to(device);
            text.eval();
            vae = AutoencoderKL.FromPretrained(Path.Combine(folder, "vae"), device: device);
            vae.eval();
            var unet = LoadUnet(folder, device);
            foreach (var p in unet.parameters())
                p.requires_grad = false;
            return new BaseModel(folder, device, tokenizer, text, vae, unet);
        }
        catch
        {
            vae?.Dispose();
            text?.Dispose();
            throw;
        }
    }

    /// <summary>A fresh copy of the base UNet (to train, or to carry a fine-tune); the caller disposes it.</summary>
    public UNet2DConditionModel LoadUnet() => LoadUnet(Folder, Device);

    /// <summary>
    /// A text-to-image pipeline over these components and <paramref name="unet"/> (the base UNet by default), sampling
    /// with the folder's scheduler (DDIM where its class is not implemented here, as <c>rpo generate</c> does).
    /// </summary>
    public StableDiffusionPipeline Pipeline(UNet2DConditionModel? unet = null)
    {
        string scheduler = Path.Combine(Folder, "scheduler");
        return new(Tokenizer, TextEncoder, unet ?? Unet, Vae, SchedulerFactory.Create(SchedulerFactory.GenerationKind(scheduler), scheduler), Device);
    }

    /// <summary>
    /// An image generator (seeded per image, as <see cref="PipelineImageGenerator"/>) over the base UNet, or over
    /// <paramref name="fineTuned"/>, which it borrows.
    /// </summary>
    public IImageGenerator Generator(int steps, double guidanceScale, FineTunedUnet? fineTuned = null) =>
        new PipelineImageGenerator(Pipeline(fineTuned?.Unet), steps, guidanceScale);

    /// <summary>A fine-tuned UNet from a local model or checkpoint folder (<see cref="FineTunedUnet.Load"/>); the caller disposes it.</summary>
    public FineTunedUnet LoadFineTuned(string folder) => FineTunedUnet.Load(this, folder);

    /// <summary>What <see cref="RpoTrainer"/> needs: <paramref name="trained"/> as θ, the shared base UNet as φ.</summary>
    public TrainingModels TrainingModels(UNet2DConditionModel trained) =>
        new(trained, Unet, UnetConfigJson, new VaeLatentEncoder(Vae), new ClipPromptEncoder(Tokenizer, TextEncoder),
            (DDPMScheduler)SchedulerFactory.Create(SchedulerKind.Ddpm, Path.Combine(Folder, "scheduler")));

    /// <summary>An <see cref="RpoTrainer"/> over a fresh copy of the base UNet; the caller disposes the result.</summary>
    public UnetFineTuning FineTune(TrainingData data, TrainingOptions options) => UnetFineTuning.Start(this, data, options);

    public void Dispose()
    {
        Unet.Dispose();
        Vae.Dispose();
        TextEncoder.Dispose();
    }

    static UNet2DConditionModel LoadUnet(string folder, Device device)
    {
        var unet = UNet2DConditionModel.FromPretrained(Path.Combine(folder, "unet"), device: device);
        unet.eval();
        return unet;
    }
}
