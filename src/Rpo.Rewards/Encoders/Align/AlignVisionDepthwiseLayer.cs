using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// MBConv depthwise phase: depthwise conv (groups = channels, no bias), BatchNorm, activation. Stride 2 pads
/// explicitly and convolves "valid": (k/2 - 1, k/2) per axis (TF "SAME" for even inputs) unless the block index is
/// listed in depthwise_padding, which gets the symmetric k/2. Stride 1 convolves with "same" padding.
/// </summary>
public sealed class AlignVisionDepthwiseLayer : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d depthwise_conv;
    private readonly BatchNorm2d depthwise_norm;
    private readonly Func<Tensor, Tensor> activation;
    private readonly long[]? stridePadding;

    public AlignVisionDepthwiseLayer(AlignVisionConfig config, int inDim, int stride, int kernelSize, bool adjustPadding)
        : base(nameof(AlignVisionDepthwiseLayer))
    {
        var half = kernelSize / 2;
        if (stride == 2)
        {
            // ZeroPad2d order: (left, right, top, bottom).
            stridePadding = adjustPadding ? [half - 1, half, half - 1, half] : [half, half, half, half];
            depthwise_conv = nn.Conv2d(inDim, inDim, kernelSize, stride: 2L, groups: inDim, bias: false);
        }
        else
        {
            depthwise_conv = nn.Conv2d(inDim, inDim, kernelSize, Padding.Same, groups: inDim, bias: false);
        }
        depthwise_norm = nn.BatchNorm2d(inDim, eps: config.BatchNormEps, momentum: config.BatchNormMomentum);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        if (stridePadding is not null)
            hiddenStates = nn.functional.pad(hiddenStates, stridePadding);
        return activation(depthwise_norm.forward(depthwise_conv.forward(hiddenStates)));
    }
}
