using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// EfficientNet stem: zero pad right and bottom by one (TF "SAME" for a stride-2 3x3), a bias-free 3x3 stride-2
/// "valid" convolution to round_filters(32) channels, BatchNorm, activation.
/// </summary>
public sealed class AlignVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d convolution;
    private readonly BatchNorm2d batchnorm;
    private readonly Func<Tensor, Tensor> activation;

    public int OutDim { get; }

    public AlignVisionEmbeddings(AlignVisionConfig config) : base(nameof(AlignVisionEmbeddings))
    {
        OutDim = config.RoundFilters(32);
        convolution = nn.Conv2d(config.NumChannels, OutDim, 3, stride: 2L, padding: 0L, bias: false);
        batchnorm = nn.BatchNorm2d(OutDim, eps: config.BatchNormEps, momentum: config.BatchNormMomentum);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixelValues)
    {
        // ZeroPad2d((left 0, right 1, top 0, bottom 1)).
        var padded = nn.functional.pad(pixelValues, [0, 1, 0, 1]);
        return activation(batchnorm.forward(convolution.forward(padded)));
    }
}
