using Rpo.Diffusion.Models.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Optimization;

/// <summary>
/// Gradient checkpointing of the UNet at diffusers' granularity (each <see cref="ResnetBlock2D"/> and each
/// <see cref="Transformer2DModel"/>, as <c>enable_gradient_checkpointing</c> wraps them): the block's forward runs
/// without recording the graph, and its output is tied to the inputs by <see cref="RecomputeBlock"/>, whose backward
/// runs the block again with gradients on and back-propagates through that recomputation (the reentrant variant of
/// torch.utils.checkpoint). Activations inside a block are then kept only while its own backward runs.
/// Implemented with forward pre/post hooks, so the UNet code is unchanged; dispose to remove the hooks.
/// </summary>
public sealed class GradientCheckpointing : IDisposable
{
    readonly List<Action> removers = [];
    readonly Stack<IDisposable> noGradScopes = new();

    public GradientCheckpointing(nn.Module model)
    {
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not (ResnetBlock2D or Transformer2DModel)) continue;
            var block = (nn.Module<Tensor, Tensor?, Tensor>)module;
            var pre = block.register_forward_pre_hook((_, a, b) => Enter(a, b));
            var post = block.register_forward_hook((m, a, b, output) => Leave(m, a, b, output));
            removers.Add(pre.remove);
            removers.Add(post.remove);
            Checkpointed.Add(name);
        }
    }

    public List<string> Checkpointed { get; } = [];

    /// <summary>Set while a block is recomputed inside a backward: the hooks then let it run normally.</summary>
    [ThreadStatic] static bool recomputing;

    static readonly ThreadLocal<Tensor> GraphAnchor = new(() => zeros(0).requires_grad_().DetachFromDisposeScope());

    bool Active() => !recomputing && is_grad_enabled();

    (Tensor, Tensor?)? Enter(Tensor a, Tensor? b)
    {
        // A null entry keeps Enter/Leave paired when the block runs without checkpointing.
        noGradScopes.Push(Active() ? no_grad() : NoScope.Instance);
        return null;
    }

    Tensor Leave(nn.Module<Tensor, Tensor?, Tensor> block, Tensor a, Tensor? b, Tensor output)
    {
        var scope = noGradScopes.Pop();
        if (scope is NoScope) return output;
        scope.Dispose();
        // The extra input that requires grad makes the result part of the graph even when neither input is (a frozen
        // UNet with LoRA: the adapters inside the block still need their gradients), a known gap of reentrant checkpointing.
        return autograd.SingleTensorFunction<RecomputeBlock>.apply(a, b!, block, output, GraphAnchor.Value);
    }

    internal static Tensor Recompute(nn.Module<Tensor, Tensor?, Tensor> block, Tensor a, Tensor? b)
    {
        bool was = recomputing;
        recomputing = true;
        try { return block.call(a, b); }
        finally { recomputing = was; }
    }

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
    }

    sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();
        public void Dispose() { }
    }
}

/// <summary>Returns the block output computed without a graph; its backward recomputes the block and back-propagates.</summary>
public sealed class RecomputeBlock : autograd.SingleTensorFunction<RecomputeBlock>
{
    public override string Name => nameof(RecomputeBlock);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var a = (Tensor)vars[0];
        var b = vars[1] as Tensor;
        ctx.save_for_backward(b is null ? [a] : [a, b]);
        ctx.save_data("block", vars[2]);
        ctx.save_data("has_b", b is not null);
        return ((Tensor)vars[3]).alias();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var block = (nn.Module<Tensor, Tensor?, Tensor>)ctx.get_data("block");
        bool hasB = (bool)ctx.get_data("has_b");
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var a = saved[0].detach().requires_grad_(saved[0].requires_grad);
        var b = hasB ? saved[1].detach().requires_grad_(saved[1].requires_grad) : null;
        var output = GradientCheckpointing.Recompute(block, a, b);
        if (output.requires_grad) autograd.backward([output], [gradOutput]);
        var result = new List<Tensor>
        {
            a.grad is null ? null! : a.grad.MoveToOuterDisposeScope(),
            b?.grad is null ? null! : b.grad.MoveToOuterDisposeScope(),
            null!,
            null!,
            null!,
        };
        return result;
    }
}
