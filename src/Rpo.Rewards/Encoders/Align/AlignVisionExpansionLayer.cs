using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>MBConv expansion: bias-free 1x1 conv to in_dim x expand_ratio channels, BatchNorm, activation.</summary>
public sealed class AlignVisionExpansionLayer : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d expand_conv;
    private readonly BatchNorm2d expand_bn;
    private readonly Func<Tensor, Tensor> activation;

    public AlignVisionExpansionLayer(AlignVisionConfig config, int inDim, int outDim) : base(nameof(AlignVisionExpansionLayer))
    {
        expand_conv = nn.Conv2d(inDim, outDim, 1, bias: false);
        // transformers leaves this BatchNorm at PyTorch's default momentum; irrelevant in eval.
        expand_bn = nn.BatchNorm2d(outDim, eps: config.BatchNormEps);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => activation(expand_bn.forward(expand_conv.forward(hiddenStates)));
}
