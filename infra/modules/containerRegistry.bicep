metadata name = 'Container registry'
metadata description = 'Holds the GPU worker image. The admin user is disabled: images are pushed by a signed-in user (az acr build / docker push after az acr login) and pulled by the worker job\'s platform identity through AcrPull.'

@description('Required. Name of the registry (5-50 letters and digits, globally unique).')
@minLength(5)
@maxLength(50)
param name string

@description('Optional. Location of the registry.')
param location string = resourceGroup().location

@description('Optional. Tags of the registry.')
param tags object = {}

@description('Optional. Registry tier. Basic holds 10 GiB, enough for a few tags of the CUDA worker image.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string = 'Basic'

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    // No shared username/password: pulls and pushes authenticate with Entra ID.
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

@description('The name of the registry.')
output name string = registry.name

@description('The resource ID of the registry.')
output resourceId string = registry.id

@description('The login server, e.g. <name>.azurecr.io.')
output loginServer string = registry.properties.loginServer
