using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Orchestration;

/// <summary>Which checkpoints a run saves, and which one it publishes.</summary>
public static class CheckpointSelection
{
    /// <summary>
    /// The steps the trainer saves a checkpoint at: every <see cref="RunOptions.ValEvery"/> steps, and the last step
    /// when it is not one of those, so the final weights are always a candidate. The orchestration waits for exactly
    /// these "checkpoint-{step}" events; the train job must report each.
    /// </summary>
    public static IReadOnlyList<int> Schedule(RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        var steps = new List<int>();
        for (var step = options.ValEvery; step <= options.Steps; step += options.ValEvery)
        {
            steps.Add(step);
        }

        if (steps.Count == 0 || steps[^1] != options.Steps)
        {
            steps.Add(options.Steps);
        }

        return steps;
    }

    /// <summary>The checkpoint with the highest reward; of equal rewards the earlier step (less drift from the base model).</summary>
    public static CheckpointReward SelectBest(IEnumerable<CheckpointReward> rewards)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        CheckpointReward? best = null;
        foreach (var candidate in rewards)
        {
            if (!double.IsFinite(candidate.Reward))
            {
                throw new ArgumentException($"Checkpoint at step {candidate.Step} has reward {candidate.Reward}; rewards must be finite.", nameof(rewards));
            }

            if (best is null || candidate.Reward > best.Reward || (candidate.Reward == best.Reward && candidate.Step < best.Step))
            {
                best = candidate;
            }
        }

        return best ?? throw new ArgumentException("No checkpoint was scored; there is nothing to select.", nameof(rewards));
    }
}
