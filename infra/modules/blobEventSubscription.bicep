metadata name = 'Blob-created event subscription'
metadata description = 'Subscribes the function app\'s blob extension webhook to BlobCreated events under subjects/. Deploy it only after the function code is published (main.bicep: deployBlobEventSubscription): the webhook key exists, and Event Grid\'s validation handshake is answered, only once the blob extension has started in the app.'

@description('Required. Name of the event subscription.')
param name string

@description('Required. Name of the storage account\'s Event Grid system topic.')
param systemTopicName string

@description('Required. Name of the function app.')
param functionAppName string

@description('Required. Name of the [Function] that has the blob trigger with Source = BlobTriggerSource.EventGrid.')
param blobTriggerFunctionName string

@description('Required. Container whose new blobs start runs.')
param subjectsContainerName string

@description('Required. Resource ID of the storage account that receives undeliverable events.')
param deadLetterStorageAccountResourceId string

@description('Required. Container for undeliverable events.')
param deadLetterContainerName string

@description('Required. Resource ID of the identity the system topic dead-letters as (Storage Blob Data Contributor on that container).')
param deadLetterIdentityResourceId string

@description('Optional. Delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Optional. Minutes an event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

// The blob extension's endpoint is /runtime/webhooks/blobs, authorised by the host's `blobs_extension` system key.
// The key is created by the host when the blob extension first starts, so it cannot be set or known before the code
// is published; it is read here at deployment time (the documented pattern reads it with `az functionapp keys list`
// after publishing). It goes straight into the subscription and appears in no parameter, output or file.
// `functionName` is Host.Functions.<the [Function] name>.
var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2025-03-01').systemKeys.blobs_extension

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: name
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${blobTriggerFunctionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      // Only uploads under subjects/ start or join runs; the app's own writes to work/ and models/ raise nothing.
      subjectBeginsWith: '/blobServices/default/containers/${subjectsContainerName}/blobs/'
      enableAdvancedFilteringOnArrays: true
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deadLetterIdentityResourceId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountResourceId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('The name of the event subscription.')
output name string = eventSubscription.name

@description('The resource ID of the event subscription.')
output resourceId string = eventSubscription.id
