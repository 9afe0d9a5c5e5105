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
        // A scope per layer frees its intermediates as it ends (as PyTorch's reference counting would), so memory
        // peaks at one layer's activations instead of the whole forward's; each superseded layer output is freed too.
        var input = hiddenStates;
        foreach (var block in layer)
        {
            using var scope = torch.NewDisposeScope();
            var output = block.forward(hiddenStates).MoveToOuterDisposeScope();
            if (!ReferenceEquals(hiddenStates, input)) hiddenStates.Dispose();
            hiddenStates = output;
        }
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
