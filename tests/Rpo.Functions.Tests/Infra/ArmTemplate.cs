using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rpo.Functions.Tests.Infra;

/// <summary>One resource of a compiled template, with the template (or nested module template) that declares it.</summary>
public sealed record ArmResource(JsonElement Json, JsonElement Template, string Module)
{
    public string Type => Json.GetProperty("type").GetString()!;
    public bool IsExisting => Json.TryGetProperty("existing", out var e) && e.ValueKind == JsonValueKind.True;
    public JsonElement Properties => Json.GetProperty("properties");

    /// <summary>A string property of the resource with the declaring template's string variables substituted.</summary>
    public string Expr(params string[] path) => ArmTemplate.Resolve(Template, ArmTemplate.At(Json, path).GetString()!);
}

/// <summary>
/// Reads the ARM JSON that `bicep build` writes: walks nested module deployments (both the resource array of
/// classic templates and the symbolic-name object of languageVersion 2.0) and substitutes string variables in
/// expressions, which is all the evaluation the assertions need.
/// </summary>
public static partial class ArmTemplate
{
    public static IEnumerable<JsonElement> Items(JsonElement resources) =>
        resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(p => p.Value)
            : resources.EnumerateArray();

    /// <summary>Every resource of the template and of the module templates inside it, depth first.</summary>
    public static IEnumerable<ArmResource> AllResources(JsonElement template, string module = "main")
    {
        if (!template.TryGetProperty("resources", out var resources)) yield break;
        foreach (var resource in Items(resources))
        {
            var item = new ArmResource(resource, template, module);
            yield return item;
            if (item.Type == "Microsoft.Resources/deployments" && item.Properties.TryGetProperty("template", out var inner))
                foreach (var nested in AllResources(inner, resource.GetProperty("name").GetString()!))
                    yield return nested;
        }
    }

    /// <summary>The templates of main and of every module, by deployment name.</summary>
    public static IEnumerable<(string Module, JsonElement Template)> AllTemplates(JsonElement main)
    {
        yield return ("main", main);
        foreach (var r in AllResources(main).Where(r => r.Type == "Microsoft.Resources/deployments"))
            yield return (r.Json.GetProperty("name").GetString()!, r.Properties.GetProperty("template"));
    }

    public static JsonElement At(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (!element.TryGetProperty(name, out var next))
                throw new KeyNotFoundException($"'{name}' not found in {Shorten(element.GetRawText())}");
            element = next;
        }
        return element;
    }

    /// <summary>
    /// Replaces variables('x') by the literal when x is a string variable of the template; an expression that is then
    /// a single literal ("['subjects']") becomes that literal.
    /// </summary>
    public static string Resolve(JsonElement template, string expression)
    {
        if (!template.TryGetProperty("variables", out var variables)) return expression;
        string substituted = VariableReference().Replace(expression, m =>
            variables.TryGetProperty(m.Groups[1].Value, out var v) && v.ValueKind == JsonValueKind.String && !v.GetString()!.StartsWith('[')
                ? $"'{v.GetString()}'"
                : m.Value);
        var literal = WholeLiteral().Match(substituted);
        return literal.Success ? literal.Groups[1].Value : substituted;
    }

    /// <summary>The value main passes to a module parameter, with main's string variables substituted.</summary>
    public static JsonElement ModuleParameter(JsonElement main, string module, string parameter)
    {
        var deployment = AllResources(main).Single(r => r.Module == "main" && r.Type == "Microsoft.Resources/deployments"
            && r.Json.GetProperty("name").GetString() == module);
        return At(deployment.Properties, "parameters", parameter, "value");
    }

    public static string ModuleParameterExpr(JsonElement main, string module, string parameter) =>
        Resolve(main, ModuleParameter(main, module, parameter).GetString()!);

    /// <summary>A variable of a template, resolving "[variables('x')]" indirections.</summary>
    public static JsonElement Variable(JsonElement template, string name) => At(template, "variables", name);

    /// <summary>
    /// The key/value pairs of the first createObject(...) call in an expression (Bicep inlines an object variable that
    /// reads resource properties as such a call). Values are the argument expressions as written.
    /// </summary>
    public static Dictionary<string, string> CreateObject(string expression)
    {
        int start = expression.IndexOf("createObject(", StringComparison.Ordinal);
        if (start < 0) throw new FormatException($"no createObject in {Shorten(expression)}");
        var arguments = new List<string>();
        int depth = 0, argumentStart = start + "createObject(".Length;
        bool quoted = false;
        for (int i = argumentStart; i < expression.Length; i++)
        {
            char c = expression[i];
            if (c == '\'' ) quoted = !quoted; // ARM escapes a quote as '', which toggles twice
            else if (quoted) continue;
            else if (c == '(') depth++;
            else if (c == ')' && depth > 0) depth--;
            else if ((c == ',' || c == ')') && depth == 0)
            {
                arguments.Add(expression[argumentStart..i].Trim());
                argumentStart = i + 1;
                if (c == ')') break;
            }
        }
        if (arguments.Count % 2 != 0) throw new FormatException($"odd createObject arguments in {Shorten(expression)}");
        var pairs = new Dictionary<string, string>();
        for (int i = 0; i < arguments.Count; i += 2) pairs.Add(arguments[i].Trim('\''), arguments[i + 1]);
        return pairs;
    }

    static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex(@"variables\('(\w+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^\['([^']*)'\]$")]
    private static partial Regex WholeLiteral();
}
