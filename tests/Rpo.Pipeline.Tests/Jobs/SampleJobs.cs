using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Jobs;

internal static class SampleJobs
{
    public static readonly RunId Run = RunId.Parse("dog-0123456789abcdef");

    public static TrainJob Train(int index = 0) => new(
        Run,
        index,
        RunOptions.Default with { LoraRank = 4 },
        "a photo of sks dog",
        [StorageLayout.SubjectFile("dog", "1.jpg"), StorageLayout.SubjectFile("dog", "2.jpg")],
        [new PromptImages("a sks dog in the jungle", [StorageLayout.Negative(Run, 0, 0), StorageLayout.Negative(Run, 0, 1)])],
        StorageLayout.CheckpointsFolder(Run));

    public static ScoreCheckpointJob Score(int index = 1, int step = 80) => new(
        Run,
        index,
        step,
        RunOptions.Default,
        StorageLayout.Checkpoint(Run, step),
        [StorageLayout.SubjectFile("dog", "1.jpg")],
        ["a sks dog in the jungle", "a sks dog in the snow"],
        StorageLayout.CheckpointScore(Run, step));

    public static GenerateJob Generate(int index = 0) => new(
        Run,
        index,
        RunOptions.DefaultBaseModel,
        null,
        ["a dog in the jungle"],
        16,
        0,
        StorageLayout.NegativesFolder(Run));
}
