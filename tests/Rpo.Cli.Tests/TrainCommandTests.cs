using System.Text.Json;
using Rpo.Cli;
using Rpo.Tests.Shared;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-train-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Subject()
    {
        string subject = Path.Combine(_dir, "subject");
        Directory.CreateDirectory(subject);
        foreach (var name in new[] { "00.jpg", "01.jpg", "02.jpg" })
            File.Copy(Path.Combine(TestPaths.Shared, "dreambench", "dataset", "dog", name), Path.Combine(subject, name));
        // What a Mac or Windows copy leaves behind must not count as a photo.
        File.WriteAllText(Path.Combine(subject, ".DS_Store"), "not an image");
        File.WriteAllText(Path.Combine(subject, "Thumbs.db"), "not an image");
        return subject;
    }

    [Fact]
    public async Task Train_on_the_tiny_model_writes_checkpoints_rewards_and_the_best()
    {
        string model = Path.Combine(_dir, "model"), run = Path.Combine(_dir, "run");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["init-model", "--tiny", model]));
        int exit = await RpoApp.RunAsync(["train", "--model", model, "--subject", Subject(), "--class", "dog", "--out", run,
            "--steps", "4", "--val-every", "2", "--negatives", "1", "--val-images", "1", "--sample-steps", "2", "--device", "cpu"]);
        Assert.Equal(ExitCodes.Ok, exit);

        foreach (int step in new[] { 2, 4 })
            Assert.True(Directory.Exists(Path.Combine(run, "checkpoints", $"checkpoint-{step}", "unet")), $"checkpoint-{step}");
        using var rewards = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "rewards.json")));
        var recorded = rewards.RootElement.EnumerateArray()
            .Select(e => (Step: e.GetProperty("step").GetInt32(), Reward: e.GetProperty("mean_reward").GetDouble())).ToList();
        Assert.Equal([2, 4], recorded.Select(r => r.Step));
        Assert.All(recorded, r => Assert.True(double.IsFinite(r.Reward)));
        int argmax = recorded.OrderByDescending(r => r.Reward).ThenBy(r => r.Step).First().Step;
        using var best = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "best.json")));
        Assert.Equal(argmax, best.RootElement.GetProperty("step").GetInt32());
        Assert.True(File.Exists(Path.Combine(run, "labels.json")));
    }

    [Fact]
    public async Task Train_names_every_unreadable_photo_and_a_missing_reward_model()
    {
        string model = Path.Combine(_dir, "model");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["init-model", "--tiny", model]));
        string subject = Subject();
        File.WriteAllText(Path.Combine(subject, "broken.jpg"), "not a jpeg");
        File.WriteAllBytes(Path.Combine(subject, "empty.png"), []);
        var error = Assert.Throws<UserError>(() => Rpo.Cli.Commands.TrainCommand.ReadSubject(subject));
        Assert.Contains("broken.jpg", error.Message);
        Assert.Contains("empty.png", error.Message);
        Assert.DoesNotContain(".DS_Store", error.Message);
        Assert.DoesNotContain("Thumbs.db", error.Message);
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["train", "--model", model, "--subject", subject, "--class", "dog", "--out", Path.Combine(_dir, "run")]));

        Directory.Delete(Path.Combine(model, "reward"), recursive: true);
        File.Delete(Path.Combine(subject, "broken.jpg"));
        File.Delete(Path.Combine(subject, "empty.png"));
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["train", "--model", model, "--subject", subject, "--class", "dog", "--out", Path.Combine(_dir, "run")]));
    }
}
