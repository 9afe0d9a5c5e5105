metadata name = 'Service Bus namespace'
metadata description = 'The job queues the orchestration sends GPU work to (train-jobs, score-jobs, generate-jobs) and the model-published topic that announces each published model. Local (SAS) authentication is disabled: senders and receivers use Entra ID roles scoped to the one entity they need.'

@description('Required. Name of the namespace (6-50 characters, globally unique).')
@minLength(6)
@maxLength(50)
param name string

@description('Optional. Location of the namespace.')
param location string = resourceGroup().location

@description('Optional. Tags of the namespace.')
param tags object = {}

@description('Optional. Namespace tier. Standard is the least that offers topics.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Optional. Names of the job queues.')
param jobQueueNames string[] = [
  'train-jobs'
  'score-jobs'
  'generate-jobs'
]

@description('Optional. Name of the topic that announces published models.')
param modelPublishedTopicName string = 'model-published'

@description('Optional. Peek-lock duration of a job message (ISO 8601, at most PT5M). Jobs run far longer: the worker renews the lock while it works, so this only bounds how soon a crashed worker\'s job becomes visible again.')
param lockDuration string = 'PT5M'

@description('Optional. Deliveries of a job message before it is dead-lettered. A job that crashes its worker this many times is a poison message.')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 3

@description('Optional. Window in which a job message with the same MessageId is dropped as a duplicate (ISO 8601). The orchestration derives the MessageId from the run and job, so a replayed send is absorbed.')
param duplicateDetectionWindow string = 'PT1H'

@description('Optional. Time a job message may wait before it expires to the dead-letter queue (ISO 8601).')
param jobTimeToLive string = 'P2D'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    // Entra ID only: no shared access keys or SAS connection strings can be used against this namespace.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource jobQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in jobQueueNames: {
    parent: namespace
    name: queueName
    properties: {
      lockDuration: lockDuration
      maxDeliveryCount: maxDeliveryCount
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
      defaultMessageTimeToLive: jobTimeToLive
      deadLetteringOnMessageExpiration: true
      requiresSession: false
      enablePartitioning: false
      maxSizeInMegabytes: 1024
    }
  }
]

resource modelPublishedTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: modelPublishedTopicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    defaultMessageTimeToLive: 'P14D'
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

@description('The name of the namespace.')
output name string = namespace.name

@description('The resource ID of the namespace.')
output resourceId string = namespace.id

@description('The fully qualified namespace host name, e.g. <name>.servicebus.windows.net.')
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'

@description('The names of the job queues, in the order given.')
output jobQueueNames string[] = [for (queueName, i) in jobQueueNames: jobQueues[i].name]

@description('The name of the model-published topic.')
output modelPublishedTopicName string = modelPublishedTopic.name
