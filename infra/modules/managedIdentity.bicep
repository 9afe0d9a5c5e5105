metadata name = 'User-assigned managed identity'
metadata description = 'One user-assigned identity. The app identities are created before the resources that use them, so every role assignment exists before a host first starts and asks for a token.'

@description('Required. Name of the identity.')
param name string

@description('Optional. Location of the identity.')
param location string = resourceGroup().location

@description('Optional. Tags of the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('The name of the identity.')
output name string = identity.name

@description('The resource ID of the identity.')
output resourceId string = identity.id

@description('The object (principal) ID of the identity, for role assignments.')
output principalId string = identity.properties.principalId

@description('The client (application) ID of the identity, for AZURE_CLIENT_ID and the __clientId connection settings.')
output clientId string = identity.properties.clientId
