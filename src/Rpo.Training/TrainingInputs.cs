using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Schedulers;
using Rpo.Training.Preferences;
using static TorchSharp.torch;

namespace Rpo.Training;

/// <summary>
/// The networks of a run. <see cref="Unet"/> trains; <see cref="ReferenceUnet"/> is φ, a second copy of the same base
/// weights that stays frozen. Both take (x_t, t, encoder_hidden_states). <see cref="UnetConfigJson"/> is the base UNet's
/// <c>config.json</c>, written unchanged beside every checkpoint's weights.
/// </summary>
public sealed record TrainingModels(
    nn.Module<Tensor, Tensor, Tensor, Tensor> Unet,
    nn.Module<Tensor, Tensor, Tensor, Tensor> ReferenceUnet,
    string UnetConfigJson,
    ILatentEncoder Vae,
    IPromptEncoder TextEncoder,
    DDPMScheduler Scheduler);

/// <summary>
/// What a run trains on: the subject's reference images (EXIF orientation already applied), the reference prompt, the
/// generated images in the order the preference record's <c>negative_index</c> refers to, and the labelled pairs.
/// </summary>
public sealed record TrainingData(
    IReadOnlyList<RgbImage> References,
    string ReferencePrompt,
    IReadOnlyList<RgbImage> Generated,
    PreferenceRecord Preferences);

/// <summary>Reported after every step (the CLI's progress bar).</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, int LabelsSeen, int LabelsPreferringReference);

/// <summary>One optimisation step: the loss and its parts, the pair it trained on.</summary>
public sealed record TrainingStepResult(
    int Step, double Loss, double PreferenceLoss, double ReferenceLoss, double Delta, double GradNorm, int PairIndex, int Label);
