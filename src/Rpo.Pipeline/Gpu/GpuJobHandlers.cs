using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Gpu;

/// <summary>
/// The real GPU job handlers, as the worker and the local runner (<c>rpo run</c>) both use them: generate, train and
/// score-checkpoint over Rpo.Training, sharing one <see cref="GpuModels"/> catalog, each kept idempotent by
/// <see cref="IdempotentJobHandler"/> (a job whose result is stored is answered from storage).
/// </summary>
public static class GpuJobHandlers
{
    /// <param name="storage">Where job inputs are read and outputs, checkpoints and results written.</param>
    /// <param name="models">The models catalog; the caller owns and disposes it after the handlers' last job.</param>
    /// <param name="progress">Where the train job reports labels and checkpoints (the orchestration's events).</param>
    /// <param name="scratchFolder">Local working folder; each job uses (and removes) a subfolder.</param>
    public static IReadOnlyList<IJobHandler> Create(
        IBlobStorage storage,
        GpuModels models,
        ITrainingProgressSink progress,
        string scratchFolder,
        ILogger? logger = null,
        TrainJobSettings? trainSettings = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentException.ThrowIfNullOrWhiteSpace(scratchFolder);
        IJobHandler[] handlers =
        [
            new GenerateJobHandler(storage, models, scratchFolder, logger),
            new TrainJobHandler(storage, models, progress, scratchFolder, trainSettings, logger),
            new ScoreCheckpointJobHandler(storage, models, scratchFolder, logger),
        ];
        return [.. handlers.Select(h => new IdempotentJobHandler(h, storage, logger))];
    }
}
