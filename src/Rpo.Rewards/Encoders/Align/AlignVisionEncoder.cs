using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// The MBConv stages (<c>encoder.blocks.N</c>, numbered across stages). Stage i repeats its block
/// round_repeats(num_block_repeats[i]) times; only the first repeat changes width and stride. ALIGN's encoder
/// has no top conv: the last block's map is the output.
/// </summary>
public sealed class AlignVisionEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<AlignVisionBlock> blocks;

    public int OutDim { get; }

    public AlignVisionEncoder(AlignVisionConfig config) : base(nameof(AlignVisionEncoder))
    {
        blocks = new ModuleList<AlignVisionBlock>();
        var blockIndex = 0;
        var outDim = 0;
        for (var i = 0; i < config.InChannels.Count; i++)
        {
            var stageIn = config.RoundFilters(config.InChannels[i]);
            outDim = config.RoundFilters(config.OutChannels[i]);
            for (var j = 0; j < config.RoundRepeats(config.NumBlockRepeats[i]); j++)
            {
                var first = j == 0;
                blocks.Add(new AlignVisionBlock(
                    config,
                    inDim: first ? stageIn : outDim,
                    outDim: outDim,
                    stride: first ? config.Strides[i] : 1,
                    expandRatio: config.ExpandRatios[i],
                    kernelSize: config.KernelSizes[i],
                    idSkip: first,
                    adjustPadding: !config.DepthwisePadding.Contains(blockIndex)));
                blockIndex++;
            }
        }
        OutDim = outDim;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        foreach (var block in blocks)
            hiddenStates = block.forward(hiddenStates);
        return hiddenStates;
    }
}
