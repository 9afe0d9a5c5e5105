using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Orchestration;

public sealed class CheckpointSelectionTests
{
    [Fact]
    public void The_highest_reward_wins()
    {
        var best = CheckpointSelection.SelectBest([new(40, 0.61), new(80, 0.64), new(120, 0.62)]);

        Assert.Equal(new CheckpointReward(80, 0.64), best);
    }

    [Fact]
    public void Of_equal_rewards_the_earlier_step_wins_whatever_the_order()
    {
        Assert.Equal(80, CheckpointSelection.SelectBest([new(160, 0.7), new(80, 0.7), new(40, 0.5)]).Step);
        Assert.Equal(80, CheckpointSelection.SelectBest([new(40, 0.5), new(80, 0.7), new(160, 0.7)]).Step);
    }

    [Fact]
    public void Nothing_to_select_or_a_non_finite_reward_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => CheckpointSelection.SelectBest([]));
        var e = Assert.Throws<ArgumentException>(() => CheckpointSelection.SelectBest([new(40, 0.5), new(80, double.NaN)]));
        Assert.Contains("step 80", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoints_every_val_every_steps_and_always_the_last()
    {
        Assert.Equal([40, 80, 120, 160, 200, 240, 280, 320, 360, 400], CheckpointSelection.Schedule(RunOptions.Default));
        Assert.Equal([30, 60, 90, 100], CheckpointSelection.Schedule(new RunOptions(Steps: 100, ValEvery: 30)));
        Assert.Equal([5], CheckpointSelection.Schedule(new RunOptions(Steps: 5, ValEvery: 5)));
    }
}
