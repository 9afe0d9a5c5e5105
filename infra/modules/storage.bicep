metadata name = 'Storage account'
metadata description = 'The one storage account of the product: the subjects / work / models containers of the storage layout, the Flex Consumption deployment container, the job-results queue, and the Functions host storage (AzureWebJobsStorage, Durable Functions task hub). Entra ID only: shared keys, public blob access and TLS below 1.2 are refused.'

@description('Required. Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Optional. Location of the storage account.')
param location string = resourceGroup().location

@description('Optional. Tags of the storage account.')
param tags object = {}

@description('Optional. Storage account SKU. Locally redundant storage is enough: subjects can be uploaded again and models can be retrained.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string = 'Standard_LRS'

@description('Required. Name of the container the Flex Consumption app is deployed from.')
param deploymentContainerName string

@description('Optional. Name of the container that receives subject uploads.')
param subjectsContainerName string = 'subjects'

@description('Optional. Name of the container of transient run data (negatives, scores, checkpoints, logs).')
param workContainerName string = 'work'

@description('Optional. Name of the container of published models.')
param modelsContainerName string = 'models'

@description('Optional. Name of the container that receives Event Grid deliveries that could not be delivered.')
param eventGridDeadLetterContainerName string = 'eventgrid-deadletter'

@description('Optional. Name of the queue the GPU workers report job results to.')
param jobResultsQueueName string = 'job-results'

@description('Optional. Days after its last modification a blob under work/ is deleted. Runs keep checkpoints there until the best one is published to models/.')
@minValue(1)
@maxValue(365)
param workRetentionDays int = 7

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    // Only Entra ID: every identity gets a data role below or in roleAssignments.bicep; no key ever exists in a setting.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // Event Grid and the Flex Consumption platform reach the account as trusted Azure services.
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: false
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

var containerNames = [
  deploymentContainerName
  subjectsContainerName
  workContainerName
  modelsContainerName
  eventGridDeadLetterContainerName
]

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: storageAccount
  name: 'default'
}

resource jobResultsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = {
  parent: queueService
  name: jobResultsQueueName
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-work-after-${workRetentionDays}-days'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              // The prefix starts with the container name: this matches every blob of the work container and nothing else.
              prefixMatch: [
                '${workContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: workRetentionDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: workRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    containers
  ]
}

@description('The name of the storage account.')
output name string = storageAccount.name

@description('The resource ID of the storage account.')
output resourceId string = storageAccount.id

@description('The blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output primaryBlobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('The queue endpoint, e.g. https://<name>.queue.core.windows.net/.')
output primaryQueueEndpoint string = storageAccount.properties.primaryEndpoints.queue

@description('The table endpoint, e.g. https://<name>.table.core.windows.net/.')
output primaryTableEndpoint string = storageAccount.properties.primaryEndpoints.table

@description('The name of the job-results queue.')
output jobResultsQueueName string = jobResultsQueue.name
