namespace Rpo.Worker;

/// <summary>
/// How a received job message is settled. The Service Bus glue maps these onto the processor's event args; tests
/// record them. Settlement is never cancelled by shutdown: a message must still be abandoned while the host stops.
/// </summary>
public interface IMessageActions
{
    /// <summary>Removes the message: the job is done (its result is stored and reported).</summary>
    Task CompleteAsync();

    /// <summary>Releases the lock so the message is delivered again (its delivery count goes up).</summary>
    Task AbandonAsync();

    /// <summary>Moves the message to the queue's dead-letter sub-queue, saying why.</summary>
    Task DeadLetterAsync(string reason, string description);
}

/// <summary>What happened to one message, for logs and tests.</summary>
public enum JobMessageOutcome
{
    /// <summary>The handler ran; its result was stored, reported and the message completed.</summary>
    Completed,

    /// <summary>A stored result from an earlier delivery was reported again and the message completed; nothing ran.</summary>
    CompletedFromStoredResult,

    /// <summary>Released for redelivery: a transient failure, or the worker is stopping.</summary>
    Abandoned,

    /// <summary>A poison message: unreadable, unrunnable here, or failed on its last allowed delivery.</summary>
    DeadLettered,
}
