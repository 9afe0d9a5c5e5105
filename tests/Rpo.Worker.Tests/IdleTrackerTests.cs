namespace Rpo.Worker.Tests;

public sealed class IdleTrackerTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Fact]
    public void Exits_after_the_idle_limit_counted_from_the_end_of_the_last_message_and_never_during_one()
    {
        var time = new ManualTime();
        var idle = new IdleTracker(TimeSpan.FromSeconds(60), time);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(idle.ShouldExit());

        var message = idle.Begin();
        time.Advance(TimeSpan.FromHours(3)); // a training job
        Assert.False(idle.ShouldExit());
        Assert.Equal(TimeSpan.Zero, idle.IdleFor());
        message.Dispose();

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(idle.ShouldExit());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(idle.ShouldExit());
    }

    [Fact]
    public void Zero_seconds_disables_idle_exit()
    {
        var time = new ManualTime();
        var idle = new IdleTracker(TimeSpan.Zero, time);
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(idle.Enabled);
        Assert.False(idle.ShouldExit());
    }
}
