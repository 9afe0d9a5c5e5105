metadata name = 'Event Grid system topic'
metadata description = 'The system topic of the storage account, the source of the BlobCreated events that drive the Flex Consumption blob trigger (which supports only the Event Grid source). It runs as a user-assigned identity so that undeliverable events can be dead-lettered to blob storage without a key.'

@description('Required. Name of the system topic.')
param name string

@description('Optional. Location of the system topic (the storage account\'s region).')
param location string = resourceGroup().location

@description('Optional. Tags of the system topic.')
param tags object = {}

@description('Required. Resource ID of the storage account whose events the topic carries.')
param storageAccountResourceId string

@description('Required. Resource ID of the identity the topic delivers and dead-letters as.')
param identityResourceId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    source: storageAccountResourceId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

@description('The name of the system topic.')
output name string = systemTopic.name

@description('The resource ID of the system topic.')
output resourceId string = systemTopic.id
