using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Pipeline.Runs;

public static class RunInputs
{
    /// <summary>
    /// Every file of a subject's upload folder (images and subject.json), named relative to the folder and hashed
    /// from its bytes: the inputs of <see cref="RunId.For"/>. Files the run skips (<see cref="SubjectValidator.IsIgnored"/>:
    /// .DS_Store, Thumbs.db, hidden files) are not inputs, so one appearing beside the photos changes no run id.
    /// </summary>
    public static async Task<IReadOnlyList<RunInput>> ReadAsync(IBlobStorage storage, string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var folder = StorageLayout.SubjectFolder(subjectId);
        var inputs = new List<RunInput>();
        await foreach (var item in storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            var name = item.Blob.RelativeTo(folder);
            if (SubjectValidator.IsIgnored(name))
            {
                continue;
            }

            await using var content = await storage.OpenReadAsync(item.Blob, cancellationToken).ConfigureAwait(false);
            inputs.Add(await RunInput.FromStreamAsync(name, content, cancellationToken).ConfigureAwait(false));
        }

        return inputs;
    }
}
