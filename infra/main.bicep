metadata name = 'RpoFunctions'
metadata description = 'Everything the product runs on in Azure: storage (subjects / work / models), the Flex Consumption Functions app that orchestrates runs, Event Grid that turns uploads into blob-trigger calls, Service Bus job queues and the model-published topic, the serverless-GPU Container Apps Job that runs Rpo.Worker, its container registry, monitoring, and the role assignments that replace every key. See docs/deploy.md.'

targetScope = 'resourceGroup'

@description('Required. Short name of this deployment (e.g. rpo-dev): lowercase letters, digits and hyphens. It is part of resource names and, with the subscription, resource group and location, seeds the resourceToken that makes global names unique.')
@minLength(2)
@maxLength(12)
param environmentName string

@description('Optional. Location of every resource. It must offer serverless GPUs in Container Apps (e.g. westus3, australiaeast, swedencentral) and Flex Consumption.')
param location string = resourceGroup().location

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Optional. Days after which run data under work/ is deleted by the storage lifecycle policy.')
@minValue(1)
@maxValue(365)
param workRetentionDays int = 7

@description('Optional. Serverless GPU workload profile for the worker: NC8as-T4 (16 GB T4) or NC24-A100 (80 GB A100).')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuWorkloadProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Optional. Repository of the worker image in the registry this template creates.')
param workerImageRepository string = 'rpo-worker'

@description('Optional. Tag of the worker image in that registry. Empty on the first deployment, before the registry holds an image: the job then gets a public placeholder image and no registry.')
param workerImageTag string = ''

@description('Optional. Most worker executions (GPUs) running at once.')
@minValue(1)
@maxValue(100)
param workerMaxExecutions int = 4

@description('Optional. Seconds a worker execution may run before it is stopped.')
@minValue(600)
@maxValue(86400)
param workerReplicaTimeoutSeconds int = 14400

@description('Optional. Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Optional. Upper bound of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Optional. Deliveries of a job message before Service Bus dead-letters it.')
@minValue(1)
@maxValue(100)
param jobMaxDeliveryCount int = 3

@description('Optional. Create the Event Grid subscription that calls the blob trigger. Leave false until the function code is published (the webhook key and the validation handshake need the running blob extension), then deploy again with true.')
param deployBlobEventSubscription bool = false

@description('Optional. Name of the [Function] in Rpo.Functions whose blob trigger (Source = EventGrid) watches subjects/.')
param blobTriggerFunctionName string = 'SubjectBlobTrigger'

@description('Optional. Principal ID of a user or group allowed to upload subjects and download models with --auth-mode login (e.g. az ad signed-in-user show --query id -o tsv). Empty: nobody.')
param uploaderPrincipalId string = ''

@description('Optional. Principal type of the uploader.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param uploaderPrincipalType string = 'User'

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var envName = toLower(environmentName)
var allTags = union(tags, { 'rpo-environment': envName })

var subjectsContainerName = 'subjects'
var workContainerName = 'work'
var modelsContainerName = 'models'
var deploymentContainerName = 'app-package'
var eventGridDeadLetterContainerName = 'eventgrid-deadletter'
var jobResultsQueueName = 'job-results'
var jobQueueNames = [
  'train-jobs'
  'score-jobs'
  'generate-jobs'
]
var modelPublishedTopicName = 'model-published'

// A public image the job can be created with before the registry holds the worker (first deployment).
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'

module functionIdentity 'modules/managedIdentity.bicep' = {
  name: 'identity-function'
  params: {
    name: 'id-func-${envName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module workerIdentity 'modules/managedIdentity.bicep' = {
  name: 'identity-worker'
  params: {
    name: 'id-worker-${envName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module workerPlatformIdentity 'modules/managedIdentity.bicep' = {
  name: 'identity-worker-platform'
  params: {
    name: 'id-worker-platform-${envName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module eventGridIdentity 'modules/managedIdentity.bicep' = {
  name: 'identity-eventgrid'
  params: {
    name: 'id-evgt-${envName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${envName}-${resourceToken}'
    applicationInsightsName: 'appi-${envName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    subjectsContainerName: subjectsContainerName
    workContainerName: workContainerName
    modelsContainerName: modelsContainerName
    eventGridDeadLetterContainerName: eventGridDeadLetterContainerName
    jobResultsQueueName: jobResultsQueueName
    workRetentionDays: workRetentionDays
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'service-bus'
  params: {
    name: 'sb-${envName}-${resourceToken}'
    location: location
    tags: allTags
    jobQueueNames: jobQueueNames
    modelPublishedTopicName: modelPublishedTopicName
    maxDeliveryCount: jobMaxDeliveryCount
  }
}

module containerRegistry 'modules/containerRegistry.bicep' = {
  name: 'container-registry'
  params: {
    name: 'cr${resourceToken}'
    location: location
    tags: allTags
  }
}

module roleAssignments 'modules/roleAssignments.bicep' = {
  name: 'role-assignments'
  params: {
    storageAccountName: storage.outputs.name
    subjectsContainerName: subjectsContainerName
    workContainerName: workContainerName
    modelsContainerName: modelsContainerName
    eventGridDeadLetterContainerName: eventGridDeadLetterContainerName
    jobResultsQueueName: storage.outputs.jobResultsQueueName
    serviceBusNamespaceName: serviceBus.outputs.name
    jobQueueNames: serviceBus.outputs.jobQueueNames
    modelPublishedTopicName: serviceBus.outputs.modelPublishedTopicName
    containerRegistryName: containerRegistry.outputs.name
    applicationInsightsName: monitoring.outputs.name
    functionPrincipalId: functionIdentity.outputs.principalId
    workerPrincipalId: workerIdentity.outputs.principalId
    workerPlatformPrincipalId: workerPlatformIdentity.outputs.principalId
    eventGridPrincipalId: eventGridIdentity.outputs.principalId
    uploaderPrincipalId: uploaderPrincipalId
    uploaderPrincipalType: uploaderPrincipalType
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'function-app'
  params: {
    name: 'func-${envName}-${resourceToken}'
    planName: 'plan-${envName}-${resourceToken}'
    location: location
    tags: allTags
    identityResourceId: functionIdentity.outputs.resourceId
    identityClientId: functionIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
  }
  // The host's first start already finds its storage roles in place.
  dependsOn: [
    roleAssignments
  ]
}

module containerAppsEnvironment 'modules/containerAppsEnvironment.bicep' = {
  name: 'container-apps-environment'
  params: {
    name: 'cae-${envName}-${resourceToken}'
    location: location
    tags: allTags
    gpuWorkloadProfileType: gpuWorkloadProfileType
    logAnalyticsResourceId: monitoring.outputs.logAnalyticsResourceId
  }
}

module workerJob 'modules/workerJob.bicep' = {
  name: 'worker-job'
  params: {
    name: 'caj-worker-${resourceToken}'
    location: location
    tags: allTags
    environmentResourceId: containerAppsEnvironment.outputs.resourceId
    workloadProfileName: containerAppsEnvironment.outputs.gpuWorkloadProfileName
    gpuWorkloadProfileType: gpuWorkloadProfileType
    image: empty(workerImageTag)
      ? placeholderImage
      : '${containerRegistry.outputs.loginServer}/${workerImageRepository}:${workerImageTag}'
    registryServer: empty(workerImageTag) ? '' : containerRegistry.outputs.loginServer
    workerIdentityResourceId: workerIdentity.outputs.resourceId
    workerIdentityClientId: workerIdentity.outputs.clientId
    platformIdentityResourceId: workerPlatformIdentity.outputs.resourceId
    serviceBusNamespaceName: serviceBus.outputs.name
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    jobQueueNames: serviceBus.outputs.jobQueueNames
    blobServiceUri: storage.outputs.primaryBlobEndpoint
    queueServiceUri: storage.outputs.primaryQueueEndpoint
    jobResultsQueueName: storage.outputs.jobResultsQueueName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maxExecutions: workerMaxExecutions
    replicaTimeoutSeconds: workerReplicaTimeoutSeconds
  }
  // AcrPull and the scaler's queue rights exist before the job first pulls or scales.
  dependsOn: [
    roleAssignments
  ]
}

module eventGridSystemTopic 'modules/eventGridSystemTopic.bicep' = {
  name: 'eventgrid-system-topic'
  params: {
    name: 'evgt-${envName}-${resourceToken}'
    location: location
    tags: allTags
    storageAccountResourceId: storage.outputs.resourceId
    identityResourceId: eventGridIdentity.outputs.resourceId
  }
}

module blobEventSubscription 'modules/blobEventSubscription.bicep' = if (deployBlobEventSubscription) {
  name: 'blob-event-subscription'
  params: {
    name: 'subjects-blob-created'
    systemTopicName: eventGridSystemTopic.outputs.name
    functionAppName: functionApp.outputs.name
    blobTriggerFunctionName: blobTriggerFunctionName
    subjectsContainerName: subjectsContainerName
    deadLetterStorageAccountResourceId: storage.outputs.resourceId
    deadLetterContainerName: eventGridDeadLetterContainerName
    deadLetterIdentityResourceId: eventGridIdentity.outputs.resourceId
  }
  dependsOn: [
    roleAssignments
  ]
}

@description('The name of the resource group deployed to.')
output name string = resourceGroup().name

@description('The resource ID of the resource group deployed to.')
output resourceId string = resourceGroup().id

@description('The name of the function app (func azure functionapp publish <name>).')
output functionAppName string = functionApp.outputs.name

@description('The default host name of the function app (the HTTP API base).')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('The name of the storage account (az storage blob upload-batch --account-name <name>).')
output storageAccountName string = storage.outputs.name

@description('The login server of the container registry.')
output containerRegistryLoginServer string = containerRegistry.outputs.loginServer

@description('The name of the container registry (az acr build --registry <name>).')
output containerRegistryName string = containerRegistry.outputs.name

@description('The name of the worker job.')
output workerJobName string = workerJob.outputs.name

@description('The name of the Service Bus namespace.')
output serviceBusNamespaceName string = serviceBus.outputs.name

@description('The fully qualified Service Bus namespace.')
output serviceBusFullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace

@description('The name of the model-published topic.')
output modelPublishedTopicName string = serviceBus.outputs.modelPublishedTopicName

@description('The resourceToken that suffixes global names.')
output resourceToken string = resourceToken
