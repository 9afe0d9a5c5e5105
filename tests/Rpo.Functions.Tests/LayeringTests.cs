using Rpo.Functions.Functions;
using Rpo.Tests.Shared;

namespace Rpo.Functions.Tests;

public sealed class LayeringTests
{
    [Fact]
    public void The_functions_app_references_no_TorchSharp()
    {
        Assert.Empty(Layering.References(typeof(HealthFunction).Assembly, Layering.Tensors));

        // The check sees the app's Azure side, so an empty answer above is a real one.
        Assert.NotEmpty(Layering.References(typeof(HealthFunction).Assembly, Layering.Azure));
    }
}
