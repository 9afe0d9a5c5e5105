using Rpo.Diffusion.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Runtime;

public class TorchLoadTests
{
    [Fact]
    public void LibTorch_loads_and_reports_version_2_10()
    {
        var info = TorchRuntime.Describe();
        Assert.StartsWith("2.10", info.LibTorchVersion);
        Assert.True(info.Threads >= 1);
    }

    [Fact]
    public void Conv2d_forward_and_backward_match_hand_computed_values()
    {
        using var scope = NewDisposeScope();
        // 1 input channel, 2x2 image of ones, 2x2 kernel of ones: one output = 4 + bias.
        using var conv = nn.Conv2d(1, 1, 2, bias: true);
        using (no_grad())
        {
            conv.weight!.fill_(1.0f);
            conv.bias!.fill_(0.5f);
        }
        var x = ones(1, 1, 2, 2, requires_grad: true);
        var y = conv.forward(x);
        Assert.Equal(4.5f, y.item<float>(), 6);

        (y * 3).sum().backward();
        // d(3y)/dw = 3 * x = 3 everywhere; d(3y)/db = 3; d(3y)/dx = 3 * w = 3.
        Assert.All(conv.weight!.grad!.data<float>().ToArray(), g => Assert.Equal(3f, g, 6));
        Assert.Equal(3f, conv.bias!.grad!.item<float>(), 6);
        Assert.All(x.grad!.data<float>().ToArray(), g => Assert.Equal(3f, g, 6));
    }

    [Fact]
    public void Conv2d_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        using var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var x = randn([2, 3, 5, 5], generator: gen, dtype: float64);
        conv.to(float64);
        var loss = conv.forward(x).pow(2).sum();
        loss.backward();
        var analytic = conv.weight!.grad!.clone();

        const double h = 1e-6;
        using (no_grad())
        {
            var w = conv.weight!;
            foreach (long[] idx in new[] { new long[] { 0, 0, 0, 0 }, [3, 2, 1, 2], [1, 1, 2, 0] })
            {
                double original = w[idx].item<double>();
                w[idx].fill_(original + h);
                double up = conv.forward(x).pow(2).sum().item<double>();
                w[idx].fill_(original - h);
                double down = conv.forward(x).pow(2).sum().item<double>();
                w[idx].fill_(original);
                Assert.Equal((up - down) / (2 * h), analytic[idx].item<double>(), 4);
            }
        }
    }
}
