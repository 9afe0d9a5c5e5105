namespace Rpo.Worker;

/// <summary>
/// One GPU job at a time per replica, across every queue: each queue's processor takes one message at a time, and
/// this gate makes a message of another queue wait (its lock still renewed) while a job runs. One replica owns one
/// GPU, and two jobs on it would each need the whole memory of an SD 1.5 fine-tune.
/// </summary>
public sealed class GpuJobGate : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private int _running;
    private int _waiting;

    /// <summary>True while a job holds the gate (the idle timer does not run then).</summary>
    public bool IsBusy => Volatile.Read(ref _running) != 0;

    /// <summary>Messages waiting for the GPU (for logs and tests).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for the GPU; dispose the result to release it.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        Volatile.Write(ref _running, 1);
        return new Release(this);
    }

    public void Dispose() => _semaphore.Dispose();

    private sealed class Release(GpuJobGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Volatile.Write(ref gate._running, 0);
                gate._semaphore.Release();
            }
        }
    }
}
