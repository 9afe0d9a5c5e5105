using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Weights;
using Rpo.Training.Lora;
using TorchSharp;

namespace Rpo.Training.Models;

/// <summary>
/// A fine-tuned UNet from a local folder, in either form a checkpoint or a published model has: a diffusers UNet folder
/// (<c>config.json</c> + <c>diffusion_pytorch_model.safetensors</c>), or a LoRA file (<c>pytorch_lora_weights.safetensors</c>)
/// applied to a fresh copy of the base UNet. Owns its UNet (and adapters); <see cref="BaseModel.Generator"/> makes images with it.
/// </summary>
public sealed class FineTunedUnet : IDisposable
{
    /// <summary>The folder a checkpoint keeps a LoRA model in (beside <see cref="RpoTrainer.UnetFolder"/> for a full one).</summary>
    public const string LoraFolder = "lora";

    private readonly LoraAdapters? _lora;

    private FineTunedUnet(UNet2DConditionModel unet, LoraAdapters? lora)
    {
        Unet = unet;
        _lora = lora;
    }

    public UNet2DConditionModel Unet { get; }

    /// <param name="folder">The model folder, or a train checkpoint's folder holding it as unet/ or lora/.</param>
    public static FineTunedUnet Load(BaseModel baseModel, string folder)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        foreach (var inner in new[] { RpoTrainer.UnetFolder, LoraFolder })
        {
            if (Directory.Exists(Path.Combine(folder, inner)) && !File.Exists(Path.Combine(folder, RpoTrainer.UnetWeightsName)))
            {
                return Load(baseModel, Path.Combine(folder, inner));
            }
        }

        var loraFile = Path.Combine(folder, LoraAdapters.WeightsName);
        if (File.Exists(loraFile))
        {
            var unet = baseModel.LoadUnet();
            try
            {
                // The file folds α/r into B (LoraAdapters.Save), so scale 1 at its rank reproduces the trained update.
                var rank = LoraRank(loraFile);
                var adapters = new LoraAdapters(unet, new LoraOptions(rank, rank), seed: 0);
                adapters.to(baseModel.Device);
                adapters.Load(loraFile);
                adapters.eval();
                return new FineTunedUnet(unet, adapters);
            }
            catch
            {
                unet.Dispose();
                throw;
            }
        }

        if (File.Exists(Path.Combine(folder, RpoTrainer.UnetWeightsName)))
        {
            var unet = UNet2DConditionModel.FromPretrained(folder, device: baseModel.Device);
            unet.eval();
            return new FineTunedUnet(unet, null);
        }

        throw new InvalidDataException(
            $"The fine-tuned UNet folder holds neither {RpoTrainer.UnetWeightsName} (with config.json) nor {LoraAdapters.WeightsName}: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName))}.");
    }

    public void Dispose()
    {
        _lora?.Dispose();
        Unet.Dispose();
    }

    private static int LoraRank(string file)
    {
        using var weights = SafeTensorsFile.Open(file);
        if (weights.Metadata.TryGetValue("lora_rank", out var text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var rank))
        {
            return rank;
        }

        // Files written elsewhere: lora_A is [rank, in_features].
        var a = weights.Tensors.FirstOrDefault(t => t.Key.EndsWith(".lora_A.weight", StringComparison.Ordinal));
        return a.Value is { Shape.Length: 2 } info ? (int)info.Shape[0] : throw new InvalidDataException($"{file} holds no lora_A weights.");
    }
}
