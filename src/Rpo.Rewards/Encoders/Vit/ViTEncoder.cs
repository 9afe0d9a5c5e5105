using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>The stack of <see cref="ViTLayer"/>s (<c>encoder.layer.N</c>).</summary>
public sealed class ViTEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ViTLayer> layer;

    public ViTEncoder(ViTConfig config) : base(nameof(ViTEncoder))
    {
        layer = new ModuleList<ViTLayer>();
        for (var i = 0; i < config.NumHiddenLayers; i++)
            layer.Add(new ViTLayer(config));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        foreach (var block in layer)
            hiddenStates = block.forward(hiddenStates);
        return hiddenStates;
    }
}

/// <summary>Optional <c>pooler</c>: tanh(dense(CLS)). DINO checkpoints carry it; the DINO metric never uses it.</summary>
public sealed class ViTPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public ViTPooler(ViTConfig config) : base(nameof(ViTPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor lastHiddenState) => torch.tanh(dense.forward(lastHiddenState[.., 0]));
}
