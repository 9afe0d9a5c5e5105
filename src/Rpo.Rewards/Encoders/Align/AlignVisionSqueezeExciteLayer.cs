using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// Squeeze-and-excitation: global average, 1x1 <c>reduce</c> to max(1, int(block in_dim x ratio)) channels,
/// activation, 1x1 <c>expand</c> back, sigmoid gate multiplied onto the input. Note the squeezed width follows the
/// block's (unexpanded) input width.
/// </summary>
public sealed class AlignVisionSqueezeExciteLayer : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d reduce;
    private readonly Conv2d expand;
    private readonly Func<Tensor, Tensor> activation;

    public AlignVisionSqueezeExciteLayer(AlignVisionConfig config, int inDim, int expandDim, bool expanded)
        : base(nameof(AlignVisionSqueezeExciteLayer))
    {
        var dim = expanded ? expandDim : inDim;
        var dimSe = Math.Max(1, (int)(inDim * config.SqueezeExpansionRatio));
        reduce = nn.Conv2d(dim, dimSe, 1);
        expand = nn.Conv2d(dimSe, dim, 1);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        var squeezed = nn.functional.adaptive_avg_pool2d(hiddenStates, [1, 1]);
        var gate = torch.sigmoid(expand.forward(activation(reduce.forward(squeezed))));
        return torch.mul(hiddenStates, gate);
    }
}
