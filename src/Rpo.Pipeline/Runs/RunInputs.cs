using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Runs;

public static class RunInputs
{
    /// <summary>
    /// Every file of a subject's upload folder (images and subject.json), named relative to the folder and hashed
    /// from its bytes: the inputs of <see cref="RunId.For"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RunInput>> ReadAsync(IBlobStorage storage, string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var folder = StorageLayout.SubjectFolder(subjectId);
        var inputs = new List<RunInput>();
        await foreach (var item in storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            await using var content = await storage.OpenReadAsync(item.Blob, cancellationToken).ConfigureAwait(false);
            inputs.Add(await RunInput.FromStreamAsync(item.Blob.RelativeTo(folder), content, cancellationToken).ConfigureAwait(false));
        }

        return inputs;
    }
}
