using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Local;

/// <summary>Settings of a <see cref="LocalRunner"/>; the defaults suit <c>rpo run</c>.</summary>
public sealed record LocalRunnerOptions
{
    /// <summary>GPU jobs at once: 2, so a checkpoint is scored while training goes on (as with two workers in Azure).</summary>
    public int MaxConcurrentJobs { get; init; } = 2;

    /// <summary>How often the run's state and the cancel marker are read.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The status file is rewritten at least this often while the run is alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A running status not rewritten for this long belongs to a process that is gone (another machine's; on this
    /// machine a dead process is noticed at once).</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Logs of the Durable Task host, the orchestration and the activities; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>How <see cref="LocalRunner.RunAsync"/> came to its result.</summary>
public enum LocalRunMode
{
    /// <summary>No earlier attempt of this run: this process ran it.</summary>
    Started,

    /// <summary>An earlier attempt stopped (its process died, or the run was canceled): this process ran it again,
    /// and the job handlers went on from what that attempt left in storage.</summary>
    Resumed,

    /// <summary>Another live process runs it: this one watched it to its end.</summary>
    Followed,

    /// <summary>It had already ended (completed or failed): nothing ran, the earlier result is reported.</summary>
    AlreadyFinished,
}

public sealed record LocalRunResult(RunId RunId, LocalRunMode Mode, RunStatusDocument Final);

/// <summary>
/// The whole pipeline in this process (<c>rpo run</c>): the in-process Durable Task host runs
/// <see cref="RpoRunOrchestrator"/> and its activities over the given storage; an <see cref="InProcessJobDispatcher"/>
/// runs the GPU jobs here and a <see cref="JobResultEventRaiser"/> brings their results back. The host keeps no history
/// beyond the process, so the runner mirrors each run to <see cref="StorageLayout.RunStatusFile"/> and decides from
/// that file what a second <c>rpo run</c> of the same uploads does (see <see cref="RunAsync"/>); it also polls
/// <see cref="StorageLayout.CancelMarker"/>, so <c>rpo cancel</c> in another process stops the run.
/// </summary>
public sealed class LocalRunner : IAsyncDisposable
{
    /// <summary>Runners alive in this process: a status file owned by this process and none of these is orphaned.</summary>
    private static readonly ConcurrentDictionary<string, byte> LiveRunners = new(StringComparer.Ordinal);

    private readonly LocalDurableHost _host;
    private readonly InProcessJobDispatcher _dispatcher;
    private readonly LocalRunnerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly RunOwner _owner = RunOwner.ThisProcess(Guid.NewGuid().ToString("N"));
    private int _disposed;

    private LocalRunner(IBlobStorage storage, LocalDurableHost host, InProcessJobDispatcher dispatcher, LocalRunnerOptions options)
    {
        Storage = storage;
        _host = host;
        _dispatcher = dispatcher;
        _options = options;
        LiveRunners.TryAdd(_owner.RunnerId, 0);
    }

    public IBlobStorage Storage { get; }

    public DurableTaskClient Client => _host.Client;

    /// <summary>Starts the host and the job dispatcher.</summary>
    /// <param name="handlers">Makes the GPU job handlers, given where a train job reports its labels and checkpoints.</param>
    public static async Task<LocalRunner> StartAsync(
        IBlobStorage storage,
        Func<ITrainingProgressSink, IEnumerable<IJobHandler>> handlers,
        LocalRunnerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(handlers);
        options ??= new LocalRunnerOptions();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        // The activities need the dispatcher, the dispatcher's sink needs the client, the client comes with the host:
        // the dispatcher is made on first use, by which time the host is up.
        DurableTaskClient? client = null;
        InProcessJobDispatcher? dispatcher = null;
        var gate = new object();
        InProcessJobDispatcher Dispatcher()
        {
            lock (gate)
            {
                if (dispatcher is null)
                {
                    var raiser = new JobResultEventRaiser(client ?? throw new InvalidOperationException("The Durable Task client is not up yet."));
                    dispatcher = new InProcessJobDispatcher(handlers(raiser), raiser, options.MaxConcurrentJobs, options.Time);
                }

                return dispatcher;
            }
        }

        var host = await LocalDurableHost.StartAsync(
            registry => registry.AddRpoRun(),
            services =>
            {
                services.AddSingleton(storage);
                services.AddSingleton<IJobDispatcher>(_ => Dispatcher());
            },
            options.LoggerFactory ?? NullLoggerFactory.Instance,
            cancellationToken).ConfigureAwait(false);
        client = host.Client;
        return new LocalRunner(storage, host, Dispatcher(), options);
    }

    /// <summary>
    /// Runs the subject's uploads as they are now, or joins the run they already made:
    /// <list type="bullet">
    /// <item>it completed or failed → reported, nothing runs (the same uploads twice are one run);</item>
    /// <item>another live process runs it → followed to its end;</item>
    /// <item>its process died mid-run (stale status), or it was canceled → run again here; the job handlers find
    /// what the earlier attempt stored (negatives, the last checkpoint) and go on from there;</item>
    /// <item>never run → run here.</item>
    /// </list>
    /// </summary>
    /// <param name="progress">Called with the run's state whenever it changes.</param>
    /// <param name="cancelRun">Cancels the run (Ctrl+C): the cancel marker is written, the run stops and ends Canceled,
    /// and this call still returns its final state.</param>
    /// <exception cref="OperationCanceledException">The runner was disposed meanwhile (the run is left as a killed process leaves it).</exception>
    public async Task<LocalRunResult> RunAsync(
        string subjectId,
        string? classNoun = null,
        Action<RunStatusDocument>? progress = null,
        CancellationToken cancelRun = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        try
        {
            return await RunOrJoinAsync(subjectId, classNoun, progress, cancelRun).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && _stopping.IsCancellationRequested)
        {
            // Disposed mid-call: the host and its channel went away under the call, which reports that in its own way.
            throw new OperationCanceledException("The local runner stopped.", e, _stopping.Token);
        }
    }

    private async Task<LocalRunResult> RunOrJoinAsync(string subjectId, string? classNoun, Action<RunStatusDocument>? progress, CancellationToken cancelRun)
    {
        var request = await new RunStarter(Client, Storage).PrepareAsync(subjectId, classNoun, _stopping.Token).ConfigureAwait(false);
        var runId = request.RunId;
        var cancel = new CancelOnce(Storage, runId, cancelRun, _options.Time);
        var followed = false;
        while (true)
        {
            var read = await RunStatusDocument.ReadAsync(Storage, runId, _stopping.Token).ConfigureAwait(false);
            var earlier = read?.Document;
            if (earlier is not null && earlier.IsFinished && (followed || (!earlier.Canceled && earlier.RuntimeStatus != OrchestrationRuntimeStatus.Terminated)))
            {
                progress?.Invoke(earlier);
                return new LocalRunResult(runId, followed ? LocalRunMode.Followed : LocalRunMode.AlreadyFinished, earlier);
            }

            if (earlier is not null && !earlier.IsFinished && IsAlive(earlier, _options))
            {
                followed = true;
                progress?.Invoke(earlier);
                await cancel.RequestIfAskedAsync(_stopping.Token).ConfigureAwait(false);
                await Task.Delay(_options.PollInterval, _options.Time, _stopping.Token).ConfigureAwait(false);
                continue;
            }

            // Claim the run: of two processes that find it free, one writes first and the other follows it.
            var now = _options.Time.GetUtcNow();
            var claim = new RunStatusDocument(runId, OrchestrationRuntimeStatus.Pending, earlier?.Status, null, null, now, now, _owner.ToString());
            try
            {
                await claim.WriteAsync(Storage, read is { } r ? WriteCondition.IfMatchETag(r.ETag) : WriteCondition.IfNotExists, _stopping.Token).ConfigureAwait(false);
            }
            catch (BlobConditionFailedException)
            {
                continue;
            }

            // A new attempt means "run": a marker left from before (the cancel that ended the last attempt) would stop it at once.
            await Storage.DeleteAsync(StorageLayout.CancelMarker(runId), _stopping.Token).ConfigureAwait(false);
            var mode = earlier is null ? LocalRunMode.Started : LocalRunMode.Resumed;
            var final = await OwnAsync(request, claim, cancel, progress).ConfigureAwait(false);
            return new LocalRunResult(runId, mode, final);
        }
    }

    /// <summary>Cancels a run from any process: writes its cancel marker, which the process running it polls.</summary>
    public static Task CancelAsync(IBlobStorage storage, RunId runId, string? reason, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        CancelMarkers.WriteAsync(storage, runId, reason, (time ?? TimeProvider.System).GetUtcNow(), cancellationToken);

    /// <summary>Stops at once, like a killed process: running jobs are abandoned and the status file is left as it was.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        LiveRunners.TryRemove(_owner.RunnerId, out _);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);

        // _stopping stays undisposed: a RunAsync still unwinding reads its token; it holds no timer or handle.
    }

    /// <summary>Runs the instance here and mirrors it to the status file until it ends.</summary>
    private async Task<RunStatusDocument> OwnAsync(RunRequest request, RunStatusDocument claim, CancelOnce cancel, Action<RunStatusDocument>? progress)
    {
        var runId = request.RunId;
        // An attempt this host already finished (canceled, then run again in the same process) is forgotten first.
        if (await Client.GetInstanceAsync(runId.Value, _stopping.Token).ConfigureAwait(false) is { IsCompleted: true })
        {
            await Client.PurgeInstanceAsync(runId.Value, _stopping.Token).ConfigureAwait(false);
        }

        await new RunStarter(Client, Storage).StartOrJoinAsync(request, _stopping.Token).ConfigureAwait(false);
        var last = claim;
        var lastWritten = _options.Time.GetTimestamp();
        var cancelRaised = false;
        var markerRead = long.MinValue;
        while (true)
        {
            await cancel.RequestIfAskedAsync(_stopping.Token).ConfigureAwait(false);

            // Another process's rpo cancel: read at the heartbeat's pace, not at every poll (a blob read each time on Azure).
            if (!cancelRaised && (markerRead == long.MinValue || _options.Time.GetElapsedTime(markerRead) >= _options.HeartbeatInterval)
                && await ReadMarkerAsync() is { } asked)
            {
                await Client.RaiseEventAsync(runId.Value, RunEvents.Cancel, asked.Reason, _stopping.Token).ConfigureAwait(false);
                cancelRaised = true;
            }

            var instance = await Client.GetInstanceAsync(runId.Value, getInputsAndOutputs: true, _stopping.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The run {runId} vanished from the in-process host.");
            var now = Mirror(instance, claim);
            var changed = now.RuntimeStatus != last.RuntimeStatus || !Equals(Serialize(now.Status), Serialize(last.Status));
            if (changed || now.IsFinished || _options.Time.GetElapsedTime(lastWritten) >= _options.HeartbeatInterval)
            {
                await now.WriteAsync(Storage, cancellationToken: _stopping.Token).ConfigureAwait(false);
                lastWritten = _options.Time.GetTimestamp();
                if (changed || now.IsFinished)
                {
                    progress?.Invoke(now);
                }

                last = now;
            }

            if (now.IsFinished)
            {
                return now;
            }

            await Task.Delay(_options.PollInterval, _options.Time, _stopping.Token).ConfigureAwait(false);
        }

        Task<CancelMarker?> ReadMarkerAsync()
        {
            markerRead = _options.Time.GetTimestamp();
            return CancelMarkers.ReadAsync(Storage, runId, _stopping.Token);
        }
    }

    private RunStatusDocument Mirror(OrchestrationMetadata instance, RunStatusDocument claim)
    {
        var status = instance.SerializedCustomStatus is null ? claim.Status : instance.ReadCustomStatusAs<RunStatus>();
        var outcome = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<RunOutcome>() : null;
        return claim with
        {
            RuntimeStatus = instance.RuntimeStatus,
            Status = status,
            Outcome = outcome,
            Failure = instance.FailureDetails?.ErrorMessage,
            Heartbeat = _options.Time.GetUtcNow(),
        };
    }

    private static string? Serialize(RunStatus? status) => status is null ? null : System.Text.Json.JsonSerializer.Serialize(status, RunJson.Options);

    /// <summary>
    /// Whether the process that wrote a running status still runs it: on this machine, whether that process (or, in this
    /// process, that runner) is alive; elsewhere, whether its heartbeat is fresher than <see cref="LocalRunnerOptions.StaleAfter"/>.
    /// </summary>
    public static bool IsAlive(RunStatusDocument status, LocalRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        options ??= new LocalRunnerOptions();
        if (RunOwner.TryParse(status.Owner) is { } owner && owner.Host == Environment.MachineName)
        {
            if (owner.ProcessId == Environment.ProcessId)
            {
                return LiveRunners.ContainsKey(owner.RunnerId);
            }

            if (!ProcessExists(owner.ProcessId))
            {
                return false;
            }
        }

        return options.Time.GetUtcNow() - status.Heartbeat <= options.StaleAfter;
    }

    private static bool ProcessExists(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Writes the cancel marker once when the caller's token fires (Ctrl+C), whoever runs the run.</summary>
    private sealed class CancelOnce(IBlobStorage storage, RunId runId, CancellationToken token, TimeProvider time)
    {
        private bool _written;

        public async Task RequestIfAskedAsync(CancellationToken cancellationToken)
        {
            if (_written || !token.IsCancellationRequested)
            {
                return;
            }

            _written = true;
            await CancelMarkers.WriteAsync(storage, runId, "Ctrl+C in rpo run", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Which runner owns a run: "host/pid/runner".</summary>
    private sealed record RunOwner(string Host, int ProcessId, string RunnerId)
    {
        public static RunOwner ThisProcess(string runnerId) => new(Environment.MachineName, Environment.ProcessId, runnerId);

        public static RunOwner? TryParse(string text)
        {
            var parts = text.Split('/');
            return parts.Length == 3 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                ? new RunOwner(parts[0], pid, parts[2])
                : null;
        }

        public override string ToString() => $"{Host}/{ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{RunnerId}";
    }
}
