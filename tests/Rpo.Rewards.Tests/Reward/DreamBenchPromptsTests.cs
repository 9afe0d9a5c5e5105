using Rpo.Rewards.Metrics;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Reward;

public class DreamBenchPromptsTests
{
    // The dataset's own file: the two prompt lists as Python format strings, objects first.
    static (List<string> Objects, List<string> Live) FromDataset()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.DreamBench, "dataset", "prompts_and_classes.txt"));
        var prompts = lines.Where(l => l.StartsWith("'a ", StringComparison.Ordinal))
            .Select(l => l[1..l.IndexOf("'.format", StringComparison.Ordinal)].Replace("{0}", "[V]").Replace("{1}", "CLASS"))
            .ToList();
        return (prompts[..25], prompts[25..]);
    }

    [Fact]
    public void Both_lists_are_the_datasets_in_order()
    {
        var (objects, live) = FromDataset();
        Assert.Equal(objects.Select(p => p.Replace("CLASS", "backpack")), DreamBenchPrompts.For("backpack"));
        Assert.Equal(live.Select(p => p.Replace("CLASS", "dog")), DreamBenchPrompts.For("dog"));
    }

    [Theory]
    [InlineData("dog", true)]
    [InlineData("cat", true)]
    [InlineData("stuffed animal", false)]
    [InlineData("toy", false)]
    [InlineData("sneaker", false)]
    [InlineData("Tabby Cat", true)]
    [InlineData("corgi dog", true)]
    [InlineData("guinea pig", true)]
    [InlineData("teddy bear", false)]
    [InlineData("rc car", false)]
    public void The_class_noun_picks_the_list(string noun, bool live) => Assert.Equal(live, DreamBenchPrompts.IsLive(noun));

    [Fact]
    public void Only_dogs_and_cats_of_the_dreambench_classes_are_live() =>
        Assert.Equal(["cat", "dog"], DreamBenchPrompts.Classes.Where(DreamBenchPrompts.IsLive).Order());

    [Fact]
    public void The_list_can_be_forced_and_the_noun_is_normalised()
    {
        Assert.Equal("a [V] corgi dog wearing a red hat", DreamBenchPrompts.For("  corgi   dog ")[10]);
        Assert.Equal("a [V] dog with a wheat field in the background", DreamBenchPrompts.For("dog", live: false)[10]);
    }
}
