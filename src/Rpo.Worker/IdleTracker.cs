namespace Rpo.Worker;

/// <summary>
/// Decides when an execution has had nothing to do for long enough to exit and give its GPU back (a Container Apps
/// Job execution runs until its container exits; KEDA starts a new one when messages wait). Time counts from the
/// start and from the end of the last message; it stands still while a message is being handled.
/// </summary>
public sealed class IdleTracker
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _lastActivity;
    private int _inFlight;

    public IdleTracker(TimeSpan idleLimit, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(idleLimit, TimeSpan.Zero);
        IdleLimit = idleLimit;
        _time = time ?? TimeProvider.System;
        _lastActivity = _time.GetTimestamp();
    }

    /// <summary>Zero disables idle exit (the worker runs until it is stopped).</summary>
    public TimeSpan IdleLimit { get; }

    public bool Enabled => IdleLimit > TimeSpan.Zero;

    /// <summary>Marks a message as being handled until the result is disposed.</summary>
    public IDisposable Begin()
    {
        lock (_lock)
        {
            _inFlight++;
        }

        return new Activity(this);
    }

    /// <summary>How long nothing has happened (zero while a message is in hand).</summary>
    public TimeSpan IdleFor()
    {
        lock (_lock)
        {
            return _inFlight > 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastActivity);
        }
    }

    public bool ShouldExit() => Enabled && IdleFor() >= IdleLimit;

    private void End()
    {
        lock (_lock)
        {
            _inFlight--;
            _lastActivity = _time.GetTimestamp();
        }
    }

    private sealed class Activity(IdleTracker tracker) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                tracker.End();
            }
        }
    }
}
