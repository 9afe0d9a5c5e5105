using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rpo.Functions.Tests.Infra;

/// <summary>
/// The Bicep in infra/ compiles and lints with zero warnings, and the ARM JSON it produces has the security
/// properties issue 7 asks for: no keys anywhere, Entra-only storage and Service Bus, identity-based Functions
/// connections, the subjects/ event subscription, KEDA scaling through a managed identity, and exactly the
/// least-privilege role assignments.
/// </summary>
public sealed partial class InfraTemplateTests(CompiledInfra infra) : IClassFixture<CompiledInfra>
{
    // Built-in role definition IDs (identical in every tenant).
    const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    const string StorageBlobDataReader = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
    const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    const string StorageQueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
    const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    const string ServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
    const string ServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
    const string ServiceBusDataOwner = "090c5cfd-751d-490a-894a-3ce6f1109419";
    const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
    const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    JsonElement Main => infra.Root;

    static void AssertClean(BicepRun run)
    {
        Assert.True(run.ExitCode == 0, run.Output);
        // Diagnostics (warnings and errors alike) are printed one per line on stderr; a clean run prints nothing.
        Assert.True(string.IsNullOrWhiteSpace(run.StdErr), $"expected zero diagnostics\n{run.Output}");
        Assert.DoesNotContain("Warning", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Bicep_build_of_main_has_zero_warnings()
    {
        AssertClean(infra.Build);
        Assert.True(File.Exists(Path.Combine(infra.OutputFolder, "main.json")));
    }

    [Fact]
    public void Bicep_lint_of_every_file_has_zero_warnings()
    {
        AssertClean(infra.Lint);
        // The pattern really reached the files: main, the parameters file and every module.
        Assert.True(Directory.GetFiles(Path.Combine(infra.InfraFolder, "modules"), "*.bicep").Length >= 10);
    }

    [Fact]
    public void Bicepparam_builds_and_reads_the_second_deployment_switches_from_the_environment()
    {
        AssertClean(infra.BuildParams);
        using var first = JsonDocument.Parse(File.ReadAllText(Path.Combine(infra.OutputFolder, "main.parameters.json")));
        var p = first.RootElement.GetProperty("parameters");
        Assert.Equal("rpo-dev", p.GetProperty("environmentName").GetProperty("value").GetString());
        Assert.False(p.GetProperty("deployBlobEventSubscription").GetProperty("value").GetBoolean());
        Assert.Equal("", p.GetProperty("workerImageTag").GetProperty("value").GetString());

        string second = Path.Combine(infra.OutputFolder, "second.parameters.json");
        var run = BicepCli.Run(Path.GetDirectoryName(infra.InfraFolder)!,
            ["build-params", Path.Combine("infra", "main.bicepparam"), "--outfile", second],
            new Dictionary<string, string?>
            {
                ["RPO_WORKER_IMAGE_TAG"] = "1.2.3",
                ["RPO_DEPLOY_BLOB_EVENT_SUBSCRIPTION"] = "true",
                ["RPO_UPLOADER_PRINCIPAL_ID"] = "00000000-0000-0000-0000-000000000001",
            });
        AssertClean(run);
        using var doc = JsonDocument.Parse(File.ReadAllText(second));
        p = doc.RootElement.GetProperty("parameters");
        Assert.True(p.GetProperty("deployBlobEventSubscription").GetProperty("value").GetBoolean());
        Assert.Equal("1.2.3", p.GetProperty("workerImageTag").GetProperty("value").GetString());
        Assert.Equal("00000000-0000-0000-0000-000000000001", p.GetProperty("uploaderPrincipalId").GetProperty("value").GetString());
    }

    [Fact]
    public void Storage_account_refuses_shared_keys_public_blobs_and_old_tls()
    {
        var account = infra.Single("Microsoft.Storage/storageAccounts").Properties;
        Assert.False(account.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.False(account.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.Equal("TLS1_2", account.GetProperty("minimumTlsVersion").GetString());
        Assert.True(account.GetProperty("supportsHttpsTrafficOnly").GetBoolean());
        Assert.True(account.GetProperty("defaultToOAuthAuthentication").GetBoolean());

        foreach (var container in infra.Resources("Microsoft.Storage/storageAccounts/blobServices/containers"))
            Assert.Equal("None", container.Properties.GetProperty("publicAccess").GetString());
    }

    [Fact]
    public void Storage_has_the_layout_containers_the_deployment_container_and_the_results_queue()
    {
        Assert.Equal("subjects", ArmTemplate.ModuleParameterExpr(Main, "storage", "subjectsContainerName"));
        Assert.Equal("work", ArmTemplate.ModuleParameterExpr(Main, "storage", "workContainerName"));
        Assert.Equal("models", ArmTemplate.ModuleParameterExpr(Main, "storage", "modelsContainerName"));
        Assert.Equal("job-results", ArmTemplate.ModuleParameterExpr(Main, "storage", "jobResultsQueueName"));
        // The Flex Consumption app deploys from a container of the same account.
        string deploymentContainer = ArmTemplate.ModuleParameterExpr(Main, "storage", "deploymentContainerName");
        Assert.Equal(deploymentContainer, ArmTemplate.ModuleParameterExpr(Main, "function-app", "deploymentContainerName"));

        var storage = infra.ModuleTemplate("storage");
        var containerNames = ArmTemplate.Variable(storage, "containerNames").EnumerateArray().Select(e => e.GetString()).ToList();
        foreach (var name in new[] { "deploymentContainerName", "subjectsContainerName", "workContainerName", "modelsContainerName" })
            Assert.Contains($"[parameters('{name}')]", containerNames);
        var containers = infra.Single("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Contains("variables('containerNames')", containers.Json.GetProperty("copy").GetProperty("count").GetString(), StringComparison.Ordinal);
        Assert.Single(infra.Resources("Microsoft.Storage/storageAccounts/queueServices/queues"));
    }

    [Fact]
    public void Lifecycle_rule_deletes_blobs_under_work_after_the_retention_parameter()
    {
        var policy = infra.Single("Microsoft.Storage/storageAccounts/managementPolicies");
        var rule = Assert.Single(ArmTemplate.At(policy.Properties, "policy", "rules").EnumerateArray());
        Assert.True(rule.GetProperty("enabled").GetBoolean());
        var filters = ArmTemplate.At(rule, "definition", "filters");
        string prefix = Assert.Single(filters.GetProperty("prefixMatch").EnumerateArray()).GetString()!;
        Assert.Equal("[format('{0}/', parameters('workContainerName'))]", prefix);
        var delete = ArmTemplate.At(rule, "definition", "actions", "baseBlob", "delete");
        Assert.Equal("[parameters('workRetentionDays')]", delete.GetProperty("daysAfterModificationGreaterThan").GetString());

        // main wires it to the work container and to its own parameter N.
        Assert.Equal("work", ArmTemplate.ModuleParameterExpr(Main, "storage", "workContainerName"));
        Assert.Equal("[parameters('workRetentionDays')]", ArmTemplate.ModuleParameterExpr(Main, "storage", "workRetentionDays"));
        Assert.Equal(JsonValueKind.Number, ArmTemplate.At(Main, "parameters", "workRetentionDays", "defaultValue").ValueKind);
    }

    [Fact]
    public void Template_holds_no_keys_and_no_connection_strings_with_secrets()
    {
        foreach (var forbidden in new[] { "AccountKey", "SharedAccessKey", "DefaultEndpointsProtocol", "primarySharedKey",
                     "listConnectionStrings", "listCredentials", "listAuthKeys", "secretRef", "passwordSecretRef" })
            Assert.DoesNotContain(forbidden, infra.MainText, StringComparison.OrdinalIgnoreCase);

        // The one list*() call reads the blob extension's webhook key into the event subscription; no other key is read.
        var listCall = Assert.Single(ListCall().Matches(infra.MainText));
        string call = infra.MainText.Substring(listCall.Index, Math.Min(160, infra.MainText.Length - listCall.Index));
        Assert.StartsWith("listKeys(format('{0}/host/default', resourceId('Microsoft.Web/sites'", call, StringComparison.Ordinal);
        Assert.Contains("systemKeys.blobs_extension", infra.MainText, StringComparison.Ordinal);

        // No output carries a secret, and no job or app declares secrets.
        foreach (var (module, template) in ArmTemplate.AllTemplates(Main))
            if (template.TryGetProperty("outputs", out var outputs))
                foreach (var output in outputs.EnumerateObject())
                    Assert.False(ListCall().IsMatch(output.Value.GetRawText()), $"{module}: output {output.Name} reads a secret");
        var job = infra.Single("Microsoft.App/jobs");
        Assert.False(job.Properties.GetProperty("configuration").TryGetProperty("secrets", out _));
    }

    [Fact]
    public void Function_app_runs_on_flex_consumption_with_identity_based_connections()
    {
        var plan = infra.Single("Microsoft.Web/serverfarms").Json.GetProperty("sku");
        Assert.Equal("FC1", plan.GetProperty("name").GetString());
        Assert.Equal("FlexConsumption", plan.GetProperty("tier").GetString());

        var site = infra.Single("Microsoft.Web/sites");
        Assert.Equal("UserAssigned", ArmTemplate.At(site.Json, "identity", "type").GetString());
        Assert.True(site.Properties.GetProperty("httpsOnly").GetBoolean());
        var config = site.Properties.GetProperty("functionAppConfig");
        Assert.Equal("[parameters('runtimeName')]", ArmTemplate.At(config, "runtime", "name").GetString());
        Assert.Equal("[parameters('runtimeVersion')]", ArmTemplate.At(config, "runtime", "version").GetString());
        var parameters = site.Template.GetProperty("parameters");
        Assert.Equal("dotnet-isolated", ArmTemplate.At(parameters, "runtimeName", "defaultValue").GetString());
        Assert.Equal("10.0", ArmTemplate.At(parameters, "runtimeVersion", "defaultValue").GetString());
        Assert.Equal("UserAssignedIdentity", ArmTemplate.At(config, "deployment", "storage", "authentication", "type").GetString());

        // The app settings are the module's identity-based settings merged with extra ones (none passed by main).
        string settingsExpression = infra.Single("Microsoft.Web/sites/config").Json.GetProperty("properties").GetString()!;
        Assert.StartsWith("[union(createObject(", settingsExpression, StringComparison.Ordinal);
        Assert.EndsWith(", parameters('appSettings'))]", settingsExpression, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => ArmTemplate.ModuleParameter(Main, "function-app", "appSettings"));

        var settings = ArmTemplate.CreateObject(settingsExpression);
        Assert.Equal("parameters('storageAccountName')", settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal("'managedidentity'", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("parameters('identityClientId')", settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal("parameters('identityClientId')", settings["AZURE_CLIENT_ID"]);
        Assert.Equal("'managedidentity'", settings["RpoStorage__credential"]);
        Assert.Equal("parameters('serviceBusFullyQualifiedNamespace')", settings["RpoServiceBus__fullyQualifiedNamespace"]);
        Assert.Equal("'managedidentity'", settings["RpoServiceBus__credential"]);
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], StringComparison.Ordinal);
        // main passes the function identity's client ID and the resource ID of that same identity.
        Assert.Contains("'identity-function'", ArmTemplate.ModuleParameterExpr(Main, "function-app", "identityClientId"), StringComparison.Ordinal);
        Assert.Contains("'identity-function'", ArmTemplate.ModuleParameterExpr(Main, "function-app", "identityResourceId"), StringComparison.Ordinal);
        // A plain AzureWebJobsStorage setting would be a connection string; Flex Consumption also rejects the
        // runtime settings that functionAppConfig replaces.
        var names = settings.Keys.ToList();
        Assert.DoesNotContain("AzureWebJobsStorage", names);
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", names);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", names);
        Assert.DoesNotContain("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", names);

        // Basic-auth publishing is off.
        var policies = infra.Resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False(p.Properties.GetProperty("allow").GetBoolean()));
    }

    [Fact]
    public void Event_subscription_sends_blob_created_under_subjects_to_the_blob_extension_webhook()
    {
        var topic = infra.Single("Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", topic.Properties.GetProperty("topicType").GetString());

        var subscription = infra.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        var filter = subscription.Properties.GetProperty("filter");
        Assert.Equal(new[] { "Microsoft.Storage.BlobCreated" }, filter.GetProperty("includedEventTypes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("[format('/blobServices/default/containers/{0}/blobs/', parameters('subjectsContainerName'))]",
            filter.GetProperty("subjectBeginsWith").GetString());
        Assert.Equal("subjects", ArmTemplate.ModuleParameterExpr(Main, "blob-event-subscription", "subjectsContainerName"));

        var destination = subscription.Properties.GetProperty("destination");
        Assert.Equal("WebHook", destination.GetProperty("endpointType").GetString());
        string url = ArmTemplate.At(destination, "properties", "endpointUrl").GetString()!;
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{1}&code={2}", url, StringComparison.Ordinal);
        Assert.Contains("systemKeys.blobs_extension", url, StringComparison.Ordinal);
        Assert.Equal("[parameters('blobTriggerFunctionName')]", ArmTemplate.ModuleParameterExpr(Main, "blob-event-subscription", "blobTriggerFunctionName"));

        // Undeliverable events are kept, written with the topic's identity rather than a storage key.
        var deadLetter = subscription.Properties.GetProperty("deadLetterWithResourceIdentity");
        Assert.Equal("UserAssigned", ArmTemplate.At(deadLetter, "identity", "type").GetString());

        // The subscription is the second deployment's step (after the code, hence the key, exists).
        var module = ArmTemplate.AllResources(Main).Single(r => r.Module == "main" && r.Json.GetProperty("name").GetString() == "blob-event-subscription");
        Assert.Equal("[parameters('deployBlobEventSubscription')]", module.Json.GetProperty("condition").GetString());
    }

    [Fact]
    public void Service_bus_disables_local_auth_and_has_the_job_queues_and_the_model_published_topic()
    {
        var ns = infra.Single("Microsoft.ServiceBus/namespaces");
        Assert.True(ns.Properties.GetProperty("disableLocalAuth").GetBoolean());
        Assert.Equal("Standard", ArmTemplate.At(ns.Template, "parameters", "skuName", "defaultValue").GetString());

        var queue = infra.Single("Microsoft.ServiceBus/namespaces/queues");
        var q = queue.Properties;
        Assert.True(q.GetProperty("requiresDuplicateDetection").GetBoolean());
        Assert.True(q.GetProperty("deadLetteringOnMessageExpiration").GetBoolean());
        Assert.Equal("[parameters('lockDuration')]", q.GetProperty("lockDuration").GetString());
        Assert.Equal("[parameters('maxDeliveryCount')]", q.GetProperty("maxDeliveryCount").GetString());
        Assert.Equal("[format('{0}/{1}', parameters('name'), parameters('jobQueueNames')[copyIndex()])]", queue.Json.GetProperty("name").GetString());
        Assert.Contains("parameters('jobQueueNames')", queue.Json.GetProperty("copy").GetProperty("count").GetString(), StringComparison.Ordinal);

        var queueNames = ArmTemplate.Variable(Main, "jobQueueNames").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(new[] { "train-jobs", "score-jobs", "generate-jobs" }, queueNames);
        Assert.Equal("[variables('jobQueueNames')]", ArmTemplate.ModuleParameter(Main, "service-bus", "jobQueueNames").GetString());
        Assert.Equal("model-published", ArmTemplate.ModuleParameterExpr(Main, "service-bus", "modelPublishedTopicName"));
        Assert.Single(infra.Resources("Microsoft.ServiceBus/namespaces/topics"));
    }

    [Fact]
    public void Worker_job_is_event_driven_on_the_gpu_profile_and_scales_by_keda_service_bus_rules_with_an_identity()
    {
        var mainProfile = ArmTemplate.At(Main, "parameters", "gpuWorkloadProfileType");
        Assert.Equal("Consumption-GPU-NC8as-T4", mainProfile.GetProperty("defaultValue").GetString());
        Assert.Equal(new[] { "Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100" },
            mainProfile.GetProperty("allowedValues").EnumerateArray().Select(e => e.GetString()));

        var environment = infra.Single("Microsoft.App/managedEnvironments");
        Assert.Contains(environment.Properties.GetProperty("workloadProfiles").EnumerateArray(),
            p => p.GetProperty("workloadProfileType").GetString() == "[parameters('gpuWorkloadProfileType')]");
        Assert.Equal("azure-monitor", ArmTemplate.At(environment.Properties, "appLogsConfiguration", "destination").GetString());

        var job = infra.Single("Microsoft.App/jobs");
        Assert.Equal("[parameters('workloadProfileName')]", job.Properties.GetProperty("workloadProfileName").GetString());
        var configuration = job.Properties.GetProperty("configuration");
        Assert.Equal("Event", configuration.GetProperty("triggerType").GetString());

        // The rules are a for-expression over the job queues: ARM's property copy named "rules".
        var scale = ArmTemplate.At(configuration, "eventTriggerConfig", "scale");
        var rules = Assert.Single(scale.GetProperty("copy").EnumerateArray());
        Assert.Equal("rules", rules.GetProperty("name").GetString());
        Assert.Contains("parameters('jobQueueNames')", rules.GetProperty("count").GetString(), StringComparison.Ordinal);
        var rule = rules.GetProperty("input");
        Assert.Equal("azure-servicebus", rule.GetProperty("type").GetString());
        Assert.Equal("[parameters('platformIdentityResourceId')]", rule.GetProperty("identity").GetString());
        Assert.False(rule.TryGetProperty("auth", out _)); // no connection-string secret
        Assert.Equal("[parameters('serviceBusNamespaceName')]", ArmTemplate.At(rule, "metadata", "namespace").GetString());
        Assert.Contains("jobQueueNames", ArmTemplate.At(rule, "metadata", "queueName").GetString(), StringComparison.Ordinal);

        // The platform identity pulls and scales but is withheld from the container; the container runs as the worker.
        var identities = configuration.GetProperty("identitySettings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("identity").GetString()!, s => s.GetProperty("lifecycle").GetString());
        Assert.Equal("None", identities["[parameters('platformIdentityResourceId')]"]);
        Assert.Equal("Main", identities["[parameters('workerIdentityResourceId')]"]);
        Assert.Contains("parameters('platformIdentityResourceId')", configuration.GetProperty("registries").GetString(), StringComparison.Ordinal);

        // main gives the scaler the platform identity and the container the worker identity.
        Assert.Contains("identity-worker-platform", ArmTemplate.ModuleParameterExpr(Main, "worker-job", "platformIdentityResourceId"), StringComparison.Ordinal);
        Assert.Contains("'identity-worker'", ArmTemplate.ModuleParameterExpr(Main, "worker-job", "workerIdentityResourceId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Container_registry_has_the_admin_user_disabled()
    {
        var registry = infra.Single("Microsoft.ContainerRegistry/registries").Properties;
        Assert.False(registry.GetProperty("adminUserEnabled").GetBoolean());
        Assert.False(registry.GetProperty("anonymousPullEnabled").GetBoolean());
    }

    [Fact]
    public void Application_insights_accepts_only_entra_authenticated_telemetry()
    {
        var component = infra.Single("Microsoft.Insights/components").Properties;
        Assert.True(component.GetProperty("DisableLocalAuth").GetBoolean());
        Assert.Equal("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('logAnalyticsName'))]",
            component.GetProperty("WorkspaceResourceId").GetString());
    }

    [Fact]
    public void Role_assignments_are_exactly_the_least_privilege_set()
    {
        var expected = new[]
        {
            ("functionPrincipalId", StorageBlobDataOwner, "Microsoft.Storage/storageAccounts"),
            ("functionPrincipalId", StorageQueueDataContributor, "Microsoft.Storage/storageAccounts"),
            ("functionPrincipalId", StorageTableDataContributor, "Microsoft.Storage/storageAccounts"),
            ("functionPrincipalId", ServiceBusDataSender, "Microsoft.ServiceBus/namespaces/queues[each]"),
            ("functionPrincipalId", ServiceBusDataSender, "Microsoft.ServiceBus/namespaces/topics"),
            ("functionPrincipalId", MonitoringMetricsPublisher, "Microsoft.Insights/components"),
            ("workerPrincipalId", StorageBlobDataReader, "Microsoft.Storage/storageAccounts/blobServices/containers:subjectsContainerName"),
            ("workerPrincipalId", StorageBlobDataReader, "Microsoft.Storage/storageAccounts/blobServices/containers:modelsContainerName"),
            ("workerPrincipalId", StorageBlobDataContributor, "Microsoft.Storage/storageAccounts/blobServices/containers:workContainerName"),
            ("workerPrincipalId", StorageQueueDataMessageSender, "Microsoft.Storage/storageAccounts/queueServices/queues"),
            ("workerPrincipalId", ServiceBusDataReceiver, "Microsoft.ServiceBus/namespaces/queues[each]"),
            ("workerPrincipalId", MonitoringMetricsPublisher, "Microsoft.Insights/components"),
            ("workerPlatformPrincipalId", AcrPull, "Microsoft.ContainerRegistry/registries"),
            ("workerPlatformPrincipalId", ServiceBusDataOwner, "Microsoft.ServiceBus/namespaces/queues[each]"),
            ("eventGridPrincipalId", StorageBlobDataContributor, "Microsoft.Storage/storageAccounts/blobServices/containers:eventGridDeadLetterContainerName"),
            ("uploaderPrincipalId", StorageBlobDataContributor, "Microsoft.Storage/storageAccounts/blobServices/containers:subjectsContainerName"),
            ("uploaderPrincipalId", StorageBlobDataReader, "Microsoft.Storage/storageAccounts/blobServices/containers:modelsContainerName"),
        }.Select(e => $"{e.Item1} | {e.Item2} | {e.Item3}").Order().ToList();

        var assignments = infra.Resources("Microsoft.Authorization/roleAssignments").ToList();
        Assert.All(assignments, a => Assert.Equal("role-assignments", a.Module));
        var actual = assignments.Select(Describe).Order().ToList();
        Assert.Equal(expected, actual);

        foreach (var a in assignments)
        {
            // Each is scoped to a resource (never the resource group), has a reason, and names a service principal
            // except the optional person or group.
            Assert.True(a.Json.TryGetProperty("scope", out _), a.Json.GetRawText());
            Assert.False(string.IsNullOrWhiteSpace(a.Properties.GetProperty("description").GetString()));
            string principal = a.Expr("properties", "principalId");
            if (principal != "[parameters('uploaderPrincipalId')]")
                Assert.Equal("ServicePrincipal", a.Properties.GetProperty("principalType").GetString());
            else
                Assert.Equal("[not(empty(parameters('uploaderPrincipalId')))]", a.Json.GetProperty("condition").GetString());
        }

        // main hands each principal parameter the identity it is named after.
        foreach (var (parameter, identityModule) in new[]
                 {
                     ("functionPrincipalId", "identity-function"), ("workerPrincipalId", "identity-worker"),
                     ("workerPlatformPrincipalId", "identity-worker-platform"), ("eventGridPrincipalId", "identity-eventgrid"),
                 })
            Assert.Equal($"[reference(resourceId('Microsoft.Resources/deployments', '{identityModule}'), '2025-04-01').outputs.principalId.value]",
                ArmTemplate.ModuleParameterExpr(Main, "role-assignments", parameter));
    }

    static string Describe(ArmResource assignment)
    {
        string principal = PrincipalParameter().Match(assignment.Expr("properties", "principalId")).Groups[1].Value;
        string role = RoleGuid().Match(assignment.Expr("properties", "roleDefinitionId")).Groups[1].Value;
        string scope = assignment.Expr("scope");
        string scopeType = ScopeType().Match(scope).Groups[1].Value;
        if (scope.Contains("[copyIndex()]", StringComparison.Ordinal)) scopeType += "[each]";
        var container = ContainerParameter().Match(scope);
        if (container.Success) scopeType += ":" + container.Groups[1].Value;
        return $"{principal} | {role} | {scopeType}";
    }

    [Fact]
    public void Every_template_follows_the_verified_modules_conventions()
    {
        var templates = ArmTemplate.AllTemplates(Main).ToList();
        Assert.True(templates.Count >= 12, $"{templates.Count} templates");
        foreach (var (module, template) in templates)
        {
            var metadata = template.GetProperty("metadata");
            Assert.False(string.IsNullOrWhiteSpace(metadata.GetProperty("name").GetString()), module);
            Assert.False(string.IsNullOrWhiteSpace(metadata.GetProperty("description").GetString()), module);
            foreach (var parameter in template.GetProperty("parameters").EnumerateObject())
                Assert.True(parameter.Value.TryGetProperty("metadata", out var m) && m.TryGetProperty("description", out _),
                    $"{module}: parameter {parameter.Name} has no @description");
            // Standard outputs, except the role-assignment collection, which is no single resource.
            if (module != "role-assignments")
            {
                var outputs = template.GetProperty("outputs");
                Assert.True(outputs.TryGetProperty("name", out _), $"{module}: no 'name' output");
                Assert.True(outputs.TryGetProperty("resourceId", out _), $"{module}: no 'resourceId' output");
            }
        }
        Assert.Contains("uniqueString(", ArmTemplate.Variable(Main, "resourceToken").GetString(), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\blist[A-Z]\w*\(")]
    private static partial Regex ListCall();

    [GeneratedRegex(@"^\[parameters\('(\w+)'\)\]$")]
    private static partial Regex PrincipalParameter();

    [GeneratedRegex(@"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")]
    private static partial Regex RoleGuid();

    [GeneratedRegex(@"resourceId\('([^']+)'")]
    private static partial Regex ScopeType();

    [GeneratedRegex(@"parameters\('(\w+ContainerName)'\)")]
    private static partial Regex ContainerParameter();
}
