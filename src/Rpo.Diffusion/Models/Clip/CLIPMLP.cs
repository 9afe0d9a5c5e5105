using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>transformers' <c>CLIPMLP</c>: fc1, the configured activation, fc2.</summary>
public sealed class CLIPMLP : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly Linear fc2;
    readonly Func<Tensor, Tensor> _activation;

    public CLIPMLP(IClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPMLP))
    {
        _activation = ClipActivation.Get(config.HiddenAct);
        fc1 = nn.Linear(config.HiddenSize, config.IntermediateSize, device: device, dtype: dtype);
        fc2 = nn.Linear(config.IntermediateSize, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => fc2.forward(_activation(fc1.forward(hiddenStates)));
}
