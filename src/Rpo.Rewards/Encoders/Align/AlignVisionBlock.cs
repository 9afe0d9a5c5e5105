using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>One MBConv block: [expansion] -> depthwise -> squeeze-excite -> projection (+ skip).</summary>
public sealed class AlignVisionBlock : nn.Module<Tensor, Tensor>
{
    private readonly AlignVisionExpansionLayer? expansion;
    private readonly AlignVisionDepthwiseLayer depthwise_conv;
    private readonly AlignVisionSqueezeExciteLayer squeeze_excite;
    private readonly AlignVisionFinalBlockLayer projection;

    public AlignVisionBlock(AlignVisionConfig config, int inDim, int outDim, int stride, int expandRatio, int kernelSize, bool idSkip, bool adjustPadding)
        : base(nameof(AlignVisionBlock))
    {
        var expand = expandRatio != 1;
        var expandDim = inDim * expandRatio;
        var innerDim = expand ? expandDim : inDim;
        expansion = expand ? new AlignVisionExpansionLayer(config, inDim, expandDim) : null;
        depthwise_conv = new AlignVisionDepthwiseLayer(config, innerDim, stride, kernelSize, adjustPadding);
        squeeze_excite = new AlignVisionSqueezeExciteLayer(config, inDim, expandDim, expand);
        projection = new AlignVisionFinalBlockLayer(config, innerDim, outDim, stride, idSkip);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        var input = hiddenStates;
        if (expansion is not null)
            hiddenStates = expansion.forward(hiddenStates);
        hiddenStates = depthwise_conv.forward(hiddenStates);
        hiddenStates = squeeze_excite.forward(hiddenStates);
        return projection.forward(input, hiddenStates);
    }
}
