using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Pipeline.Orchestration;

public sealed record ValidateSubjectInput(string SubjectId, string? ClassNoun);

/// <summary>Checks the uploads; a user's mistake is a result with problems, so only storage failures are retried.</summary>
public sealed class ValidateSubjectActivity(IBlobStorage storage, ILogger<ValidateSubjectActivity> logger)
    : TaskActivity<ValidateSubjectInput, SubjectValidationResult>
{
    public override async Task<SubjectValidationResult> RunAsync(TaskActivityContext context, ValidateSubjectInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = await new SubjectValidator(storage).ValidateAsync(input.SubjectId, input.ClassNoun).ConfigureAwait(false);
        if (!result.IsValid)
        {
            logger.LogInformation("Subject {SubjectId} refused: {Problems}", input.SubjectId, result.Describe());
        }

        return result;
    }
}
