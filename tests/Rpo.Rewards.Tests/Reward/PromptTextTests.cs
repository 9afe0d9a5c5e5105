using System.Text.Json;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Reward;

public class PromptTextTests
{
    [Theory]
    [InlineData("a [V] dog on the beach", "a dog on the beach")]
    [InlineData("a [V]  dog on a subway\tplatform ", "a dog on a subway platform")]
    [InlineData("[V] backpack, [V] again", "backpack, again")]
    [InlineData("no identifier here", "no identifier here")]
    public void Default_strips_the_identifier(string prompt, string expected) => Assert.Equal(expected, PromptText.Default.Clean(prompt));

    [Theory]
    [InlineData("a [V] dog on the beach", "a [V] dog on the beach")]
    [InlineData("a [V]  dog on a subway\tplatform ", "a [V] dog on a subway platform")]
    [InlineData("a[V]dog", "a dog")]
    public void Paper_compat_is_rpo_remove_unique_token(string prompt, string expected) =>
        Assert.Equal(expected, new PromptText(PaperCompat: true).Clean(prompt));

    [Theory]
    [InlineData("reward-clip-tiny")]
    [InlineData("reward-align-tiny")]
    [InlineData("metrics-dreambench-tiny")]
    public void Paper_compat_gives_the_texts_the_reference_encoded(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(name, "case.json")));
        var prompts = doc.RootElement.GetProperty("prompts").EnumerateArray().Select(e => e.GetString()!).ToList();
        var texts = doc.RootElement.GetProperty("text_prompts").EnumerateArray().Select(e => e.GetString()!).ToList();
        var compat = new PromptText(PaperCompat: true);
        Assert.Equal(texts, prompts.Select(compat.Clean));
    }
}
