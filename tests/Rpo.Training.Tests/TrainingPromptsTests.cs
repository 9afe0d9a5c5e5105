using Rpo.Training.Prompts;

namespace Rpo.Training.Tests;

public class TrainingPromptsTests
{
    [Theory]
    [InlineData("dog", SubjectKind.Live)]
    [InlineData("Cat", SubjectKind.Live)]
    [InlineData("corgi dog", SubjectKind.Live)]
    [InlineData("backpack", SubjectKind.Object)]
    [InlineData("rc car", SubjectKind.Object)]
    [InlineData("stuffed animal", SubjectKind.Object)]
    [InlineData("teddy bear", SubjectKind.Object)]
    [InlineData("guinea pig", SubjectKind.Live)]
    public void Class_noun_chooses_the_list(string noun, SubjectKind expected) =>
        Assert.Equal(expected, TrainingPrompts.KindOf(noun));

    [Fact]
    public void Lists_have_the_reference_sizes_and_keep_the_identifier()
    {
        foreach (var kind in new[] { SubjectKind.Live, SubjectKind.Object })
        {
            var training = TrainingPrompts.Training("dog", kind);
            var evaluation = TrainingPrompts.Evaluation("dog", kind);
            Assert.Equal(8, training.Count);
            Assert.Equal(25, evaluation.Count);
            Assert.Equal(8, training.Distinct().Count());
            Assert.Equal(25, evaluation.Distinct().Count());
            Assert.All(training.Concat(evaluation), p => Assert.Contains("[V] dog", p));
        }
        Assert.Equal("a [V] dog wearing a green outfit", TrainingPrompts.Training("dog")[0]);
        Assert.Equal("a [V] backpack on top of wooden roof", TrainingPrompts.Training("backpack")[4]);
        Assert.Equal("a [V] dog wearing a red hat", TrainingPrompts.Evaluation("dog")[10]);
        Assert.Equal("a [V] backpack with a wheat field in the background", TrainingPrompts.Evaluation("backpack")[10]);
        Assert.Equal("a cube shaped [V] backpack", TrainingPrompts.Evaluation("backpack")[24]);
        Assert.Equal("a photo of [V] dog", TrainingPrompts.ReferencePrompt("dog"));
        Assert.Equal("a photo of sks teapot", TrainingPrompts.ReferencePrompt(" teapot ", "sks"));
    }

    [Theory]
    [InlineData("a [V] dog on the beach", "a dog on the beach")]
    [InlineData("a [V]  dog on a subway\tplatform ", "a dog on a subway platform")]
    [InlineData("[V] dog", "dog")]
    [InlineData("a green [V] dog", "a green dog")]
    public void Text_prompt_drops_the_identifier(string prompt, string expected) =>
        Assert.Equal(expected, TrainingPrompts.TextPrompt(prompt));

    [Theory]
    // The reference's remove_unique_token: \b never matches beside "[" / "]" between spaces, so [V] stays.
    [InlineData("a [V] dog on the beach", "a [V] dog on the beach")]
    [InlineData("a [V]  dog on a subway\tplatform ", "a [V] dog on a subway platform")]
    [InlineData("a[V]dog", "a dog")]
    public void Reference_compatible_text_prompt_matches_remove_unique_token(string prompt, string expected) =>
        Assert.Equal(expected, TrainingPrompts.TextPrompt(prompt, referenceCompatible: true));
}
