using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// MBConv projection: bias-free 1x1 conv to out_dim, BatchNorm, and the identity skip for the repeated
/// (stride-1, not first-in-stage) blocks. Drop-connect is training-only and absent here.
/// </summary>
public sealed class AlignVisionFinalBlockLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Conv2d project_conv;
    private readonly BatchNorm2d project_bn;
    private readonly bool addSkip;

    public AlignVisionFinalBlockLayer(AlignVisionConfig config, int inDim, int outDim, int stride, bool idSkip)
        : base(nameof(AlignVisionFinalBlockLayer))
    {
        addSkip = stride == 1 && !idSkip;
        project_conv = nn.Conv2d(inDim, outDim, 1, bias: false);
        project_bn = nn.BatchNorm2d(outDim, eps: config.BatchNormEps, momentum: config.BatchNormMomentum);
        RegisterComponents();
    }

    public override Tensor forward(Tensor blockInput, Tensor hiddenStates)
    {
        var projected = project_bn.forward(project_conv.forward(hiddenStates));
        return addSkip ? projected + blockInput : projected;
    }
}
