using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Schedulers;
using Rpo.Diffusion.Tokenizers;
using static TorchSharp.torch;

namespace Rpo.Training.Models;

/// <summary>
/// Loads what training needs from a diffusers Stable Diffusion folder: the UNet twice (θ to train, φ frozen), the VAE,
/// tokenizer and text encoder (frozen), and a DDPM scheduler over the folder's scheduler config, as the reference does
/// (<c>DDPMScheduler.from_pretrained(..., subfolder="scheduler")</c> keeps the keys DDPM knows, e.g. prediction_type).
/// The text encoder stays on the CPU: it runs once per prompt, and the trainer moves the embeddings to the UNet.
/// </summary>
public static class PipelineTrainingModels
{
    public static TrainingModels Load(string pipelineFolder, Device? device = null)
    {
        string unetFolder = Path.Combine(pipelineFolder, "unet");
        var unet = UNet2DConditionModel.FromPretrained(unetFolder, device: device);
        var reference = UNet2DConditionModel.FromPretrained(unetFolder, device: device);
        var vae = AutoencoderKL.FromPretrained(Path.Combine(pipelineFolder, "vae"), device: device);
        var tokenizer = ClipTokenizer.FromPretrained(Path.Combine(pipelineFolder, "tokenizer"));
        var text = CLIPTextModel.FromPretrained(Path.Combine(pipelineFolder, "text_encoder"));
        var scheduler = (DDPMScheduler)SchedulerFactory.Create(SchedulerKind.Ddpm, Path.Combine(pipelineFolder, "scheduler"));
        return new TrainingModels(unet, reference, File.ReadAllText(Path.Combine(unetFolder, "config.json")),
            new VaeLatentEncoder(vae), new ClipPromptEncoder(tokenizer, text), scheduler);
    }

    /// <summary>
    /// The resolution the base model was trained at, the default training resolution: the UNet's <c>sample_size</c>
    /// (latent cells) times the VAE's scale factor 2^(blocks − 1); 512 for SD 1.x / 2.x-base, 64 for the tiny model.
    /// </summary>
    public static int DefaultResolution(string pipelineFolder)
    {
        var unet = ConfigJson.Load<UNet2DConditionConfig>(Path.Combine(pipelineFolder, "unet", "config.json"));
        var vae = ConfigJson.Load<AutoencoderKLConfig>(Path.Combine(pipelineFolder, "vae", "config.json"));
        int latent = unet.SampleSize?.Single ?? unet.SampleSize?.List?[0] ?? 64;
        return latent * (1 << (vae.BlockOutChannels.Count - 1));
    }
}
