using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Rpo.Pipeline.Runs;

namespace Rpo.Functions.Functions;

/// <summary>HTTP answers in the pipeline's JSON (camelCase, enums as kebab-case strings), the same as rpo.json and the messages.</summary>
internal static class Json
{
    public const string ContentType = "application/json; charset=utf-8";

    public static ContentResult Result(HttpStatusCode status, object body) => new()
    {
        StatusCode = (int)status,
        ContentType = ContentType,
        Content = JsonSerializer.Serialize(body, body.GetType(), RunJson.Indented),
    };

    public static ContentResult Error(HttpStatusCode status, string message) => Result(status, new ErrorBody(message));

    private sealed record ErrorBody(string Error);
}
