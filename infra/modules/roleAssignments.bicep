metadata name = 'Role assignments'
metadata description = 'Every role the product\'s identities hold, each at the narrowest scope that works and each with the reason. Built-in role definition IDs are used (they are the same in every tenant).'

@description('Required. Name of the storage account.')
param storageAccountName string

@description('Optional. Name of the subjects container.')
param subjectsContainerName string = 'subjects'

@description('Optional. Name of the work container.')
param workContainerName string = 'work'

@description('Optional. Name of the models container.')
param modelsContainerName string = 'models'

@description('Optional. Name of the Event Grid dead-letter container.')
param eventGridDeadLetterContainerName string = 'eventgrid-deadletter'

@description('Required. Name of the job-results storage queue.')
param jobResultsQueueName string

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Names of the Service Bus job queues.')
param jobQueueNames string[]

@description('Required. Name of the model-published topic.')
param modelPublishedTopicName string

@description('Required. Name of the container registry.')
param containerRegistryName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Principal ID of the function app identity.')
param functionPrincipalId string

@description('Required. Principal ID of the worker identity (what the worker container runs as).')
param workerPrincipalId string

@description('Required. Principal ID of the worker platform identity (image pull and the KEDA scaler).')
param workerPlatformPrincipalId string

@description('Required. Principal ID of the Event Grid system topic identity.')
param eventGridPrincipalId string

@description('Optional. Principal ID of a user or group that uploads subjects and downloads models (az ... --auth-mode login). Empty: none.')
param uploaderPrincipalId string = ''

@description('Optional. Principal type of the uploader.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param uploaderPrincipalType string = 'User'

// Built-in role definition IDs.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageQueueDataMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var serviceBusDataReceiver = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
var serviceBusDataOwner = '090c5cfd-751d-490a-894a-3ce6f1109419'
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource subjects 'containers' existing = {
      name: subjectsContainerName
    }

    resource work 'containers' existing = {
      name: workContainerName
    }

    resource models 'containers' existing = {
      name: modelsContainerName
    }

    resource eventGridDeadLetter 'containers' existing = {
      name: eventGridDeadLetterContainerName
    }
  }

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource jobResults 'queues' existing = {
      name: jobResultsQueueName
    }
  }
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource jobQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = [
  for queueName in jobQueueNames: {
    parent: serviceBus
    name: queueName
  }
]

resource modelPublishedTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: serviceBus
  name: modelPublishedTopicName
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: containerRegistryName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// ---------------------------------------------------------------------------------------------------------------
// Function app identity
// ---------------------------------------------------------------------------------------------------------------

// Storage Blob Data Owner on the account: the Functions host storage needs Owner (not Contributor) for its blob
// leases and the azure-webjobs-* containers it creates; the same grant covers the Flex deployment container, the
// Durable Functions task hub blobs, reading subjects/, and publishing models/ (latest.json's conditional write).
resource functionBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, functionPrincipalId, storageBlobDataOwner)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Functions host storage, Flex deployment package, Durable task hub blobs, subjects/ and models/.'
  }
}

// Storage Queue Data Contributor on the account: the Durable Functions task hub creates and drains its control and
// work-item queues (names derived from the hub name at run time, hence the account scope), and the job-results
// queue trigger reads and deletes worker reports.
resource functionQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, functionPrincipalId, storageQueueDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Durable task hub queues and the job-results queue trigger.'
  }
}

// Storage Table Data Contributor on the account: the Durable Functions task hub keeps instance and history tables.
resource functionTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, functionPrincipalId, storageTableDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Durable task hub instance and history tables.'
  }
}

// Azure Service Bus Data Sender on each job queue: the orchestration's activities send train / score / generate jobs.
// Send only, per queue: the app never receives from them.
resource functionJobSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in jobQueueNames: {
    name: guid(jobQueues[i].id, functionPrincipalId, serviceBusDataSender)
    scope: jobQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Send ${queueName} messages to the GPU workers.'
    }
  }
]

// Azure Service Bus Data Sender on the model-published topic: the publish step announces each new model.
resource functionTopicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(modelPublishedTopic.id, functionPrincipalId, serviceBusDataSender)
  scope: modelPublishedTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Announce published models on the model-published topic.'
  }
}

// Monitoring Metrics Publisher on Application Insights: the component accepts only Entra-authenticated telemetry.
resource functionMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, functionPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Send function app telemetry with Entra ID.'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Worker identity (the container's own identity)
// ---------------------------------------------------------------------------------------------------------------

// Storage Blob Data Reader on subjects/: training reads the uploaded photos and subject.json; it never changes them.
resource workerSubjectsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::blobService::subjects.id, workerPrincipalId, storageBlobDataReader)
  scope: storageAccount::blobService::subjects
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Read subject uploads.'
  }
}

// Storage Blob Data Reader on models/: generate jobs load the published model (and base models kept there).
// Publishing is the orchestration's step, so the worker cannot alter published models.
resource workerModelsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::blobService::models.id, workerPrincipalId, storageBlobDataReader)
  scope: storageAccount::blobService::models
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Read published and base models.'
  }
}

// Storage Blob Data Contributor on work/: jobs write negatives, scores, checkpoints, generated images and logs of
// their run, and resume from their own checkpoints.
resource workerWorkContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::blobService::work.id, workerPrincipalId, storageBlobDataContributor)
  scope: storageAccount::blobService::work
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Write run data under work/.'
  }
}

// Storage Queue Data Message Sender on job-results: the worker reports each finished or failed job; it cannot read
// or delete other reports.
resource workerResultsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::queueService::jobResults.id, workerPrincipalId, storageQueueDataMessageSender)
  scope: storageAccount::queueService::jobResults
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataMessageSender)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Report job results to the orchestration.'
  }
}

// Azure Service Bus Data Receiver on each job queue: receive, renew locks, complete and dead-letter job messages.
resource workerJobReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in jobQueueNames: {
    name: guid(jobQueues[i].id, workerPrincipalId, serviceBusDataReceiver)
    scope: jobQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiver)
      principalId: workerPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Take ${queueName} messages.'
    }
  }
]

// Monitoring Metrics Publisher on Application Insights: worker telemetry with Entra ID.
resource workerMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, workerPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Send worker telemetry with Entra ID.'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Worker platform identity (lifecycle None in the job: the container cannot obtain its tokens)
// ---------------------------------------------------------------------------------------------------------------

// AcrPull on the registry: Container Apps pulls the worker image as this identity.
resource platformAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, workerPlatformPrincipalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: workerPlatformPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Pull the worker image.'
  }
}

// Azure Service Bus Data Owner on each job queue: KEDA's azure-servicebus scaler reads the queue's runtime properties
// (the active message count), which Service Bus authorises only with the Manage right; Data Receiver is refused.
// Owner is scoped to each job queue, not the namespace, and held by an identity the container cannot use.
resource platformScalerOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in jobQueueNames: {
    name: guid(jobQueues[i].id, workerPlatformPrincipalId, serviceBusDataOwner)
    scope: jobQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataOwner)
      principalId: workerPlatformPrincipalId
      principalType: 'ServicePrincipal'
      description: 'KEDA scaler reads the ${queueName} message count.'
    }
  }
]

// ---------------------------------------------------------------------------------------------------------------
// Event Grid system topic identity
// ---------------------------------------------------------------------------------------------------------------

// Storage Blob Data Contributor on the dead-letter container: events the function app could not take are kept.
resource eventGridDeadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::blobService::eventGridDeadLetter.id, eventGridPrincipalId, storageBlobDataContributor)
  scope: storageAccount::blobService::eventGridDeadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Dead-letter undeliverable blob events.'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Optional uploader (a person or group using az ... --auth-mode login)
// ---------------------------------------------------------------------------------------------------------------

// Storage Blob Data Contributor on subjects/: upload photos (az storage blob upload-batch --auth-mode login).
resource uploaderSubjectsContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(uploaderPrincipalId)) {
  name: guid(storageAccount::blobService::subjects.id, uploaderPrincipalId, storageBlobDataContributor)
  scope: storageAccount::blobService::subjects
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: uploaderPrincipalId
    principalType: uploaderPrincipalType
    description: 'Upload subjects.'
  }
}

// Storage Blob Data Reader on models/: download published models and sample grids.
resource uploaderModelsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(uploaderPrincipalId)) {
  name: guid(storageAccount::blobService::models.id, uploaderPrincipalId, storageBlobDataReader)
  scope: storageAccount::blobService::models
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: uploaderPrincipalId
    principalType: uploaderPrincipalType
    description: 'Download published models.'
  }
}

