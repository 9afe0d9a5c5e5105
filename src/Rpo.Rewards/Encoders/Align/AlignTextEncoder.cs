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
        foreach (var block in layer)
            hiddenStates = block.forward(hiddenStates, additiveMask);
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
