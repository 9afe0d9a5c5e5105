using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>The stack of BERT layers (<c>encoder.layer.N</c>).</summary>
public sealed class AlignTextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<AlignTextLayer> layer;

    public AlignTextEncoder(AlignTextConfig config) : base(nameof(AlignTextEncoder))
    {
        layer = new ModuleList<AlignTextLayer>();
        for (var i = 0; i < config.NumHiddenLayers; i++)
            layer.Add(new AlignTextLayer(config));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor additiveMask)
    {
        // A scope per layer frees its intermediates as it ends (as PyTorch's reference counting would), so memory
        // peaks at one layer's activations instead of the whole forward's; each superseded layer output is freed too.
        var input = hiddenStates;
        foreach (var block in layer)
        {
            using var scope = torch.NewDisposeScope();
            var output = block.forward(hiddenStates, additiveMask).MoveToOuterDisposeScope();
            if (!ReferenceEquals(hiddenStates, input)) hiddenStates.Dispose();
            hiddenStates = output;
        }
        return hiddenStates;
    }
}

/// <summary>BERT <c>pooler</c>: tanh(dense(first token)). ALIGN's features never use it, but checkpoints carry it.</summary>
public sealed class AlignTextPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public AlignTextPooler(AlignTextConfig config) : base(nameof(AlignTextPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor lastHiddenState) => torch.tanh(dense.forward(lastHiddenState[.., 0]));
}
