using System.Runtime.CompilerServices;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

/// <summary>
/// Passes every call to a real storage, letting a test run code before reads and writes: to hold two publishers at
/// the same point (a real race, not a lucky one), to look at the store at the moment the pointer moves, or to fail a
/// write the way a lost connection would.
/// </summary>
internal sealed class InterceptingStorage(IBlobStorage inner) : IBlobStorage
{
    public Func<BlobRef, Task>? BeforeRead { get; init; }

    /// <summary>Runs once the inner store has answered a read (the reader then holds what it read).</summary>
    public Func<BlobRef, Task>? AfterRead { get; init; }

    public Func<BlobRef, WriteCondition, Task>? BeforeWrite { get; init; }

    /// <summary>Runs before each existence check (to count how often a blob is polled).</summary>
    public Action<BlobRef>? BeforeExists { get; init; }

    public string Location => inner.Location;

    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default) => inner.EnsureCreatedAsync(cancellationToken);

    public async IAsyncEnumerable<BlobItemInfo> ListAsync(StorageArea area, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in inner.ListAsync(area, prefix, cancellationToken))
        {
            yield return item;
        }
    }

    public Task<bool> ExistsAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        BeforeExists?.Invoke(blob);
        return inner.ExistsAsync(blob, cancellationToken);
    }

    public async Task<BlobETag?> GetETagAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        await Read(blob);
        var result = await inner.GetETagAsync(blob, cancellationToken);
        await Done(blob);
        return result;
    }

    public async Task<Stream> OpenReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        await Read(blob);
        var result = await inner.OpenReadAsync(blob, cancellationToken);
        await Done(blob);
        return result;
    }

    public async Task<BlobData> ReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        await Read(blob);
        var result = await inner.ReadAsync(blob, cancellationToken);
        await Done(blob);
        return result;
    }

    public async Task<BlobData?> TryReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        await Read(blob);
        var result = await inner.TryReadAsync(blob, cancellationToken);
        await Done(blob);
        return result;
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        await Write(blob, condition);
        return await inner.WriteAsync(blob, content, condition, cancellationToken);
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, ReadOnlyMemory<byte> content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        await Write(blob, condition);
        return await inner.WriteAsync(blob, content, condition, cancellationToken);
    }

    public Task<bool> DeleteAsync(BlobRef blob, CancellationToken cancellationToken = default) => inner.DeleteAsync(blob, cancellationToken);

    private Task Read(BlobRef blob) => BeforeRead?.Invoke(blob) ?? Task.CompletedTask;

    private Task Done(BlobRef blob) => AfterRead?.Invoke(blob) ?? Task.CompletedTask;

    private Task Write(BlobRef blob, WriteCondition? condition) => BeforeWrite?.Invoke(blob, condition ?? WriteCondition.None) ?? Task.CompletedTask;
}
