using Rpo.Diffusion.Models.Unet;

namespace Rpo.Training.Models;

/// <summary>
/// RPO training of one job on a shared <see cref="BaseModel"/>: a fresh copy of its UNet as θ, the shared base UNet as
/// φ. Owns the trainer and θ (the trainer borrows its models), so disposing this frees both.
/// </summary>
public sealed class UnetFineTuning : IDisposable
{
    readonly UNet2DConditionModel unet;

    UnetFineTuning(UNet2DConditionModel unet, RpoTrainer trainer)
    {
        this.unet = unet;
        Trainer = trainer;
    }

    public RpoTrainer Trainer { get; }

    internal static UnetFineTuning Start(BaseModel baseModel, TrainingData data, TrainingOptions options)
    {
        var unet = baseModel.LoadUnet();
        try
        {
            return new UnetFineTuning(unet, new RpoTrainer(baseModel.TrainingModels(unet), data, options));
        }
        catch
        {
            unet.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Trainer.Dispose();
        unet.Dispose();
    }
}
