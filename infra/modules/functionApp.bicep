metadata name = 'Function App (Flex Consumption)'
metadata description = 'The Rpo.Functions isolated-worker app on a Flex Consumption plan. It runs as a user-assigned identity and reaches storage, Service Bus and Application Insights with identity-based connections; no setting holds a key or a connection string with a secret.'

@description('Required. Name of the function app (globally unique host name).')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Optional. Location of the plan and the app.')
param location string = resourceGroup().location

@description('Optional. Tags of the plan and the app.')
param tags object = {}

@description('Required. Resource ID of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Client ID of that identity (the __clientId of every identity-based connection).')
param identityClientId string

@description('Required. Name of the storage account (host storage, deployment container and the product containers).')
param storageAccountName string

@description('Required. Name of the blob container the app package is deployed to.')
param deploymentContainerName string

@description('Required. Fully qualified Service Bus namespace the app sends jobs and announcements to.')
param serviceBusFullyQualifiedNamespace string

@description('Required. Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Optional. Language runtime of the app.')
param runtimeName string = 'dotnet-isolated'

@description('Optional. Runtime version (.NET 10 isolated worker).')
param runtimeVersion string = '10.0'

@description('Optional. Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Upper bound of instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Extra app settings, merged over the identity-based ones.')
param appSettings object = {}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Flex Consumption runs on Linux only.
    reserved: true
  }
}

// The identity-based connections. Each "<Connection>__*" group is read by the Functions host and the Azure SDK
// clients as one connection; __credential + __clientId select the user-assigned identity.
var identitySettings = {
  // Host storage: leases, Durable Functions task hub (queues, tables, blobs), blob trigger receipts.
  AzureWebJobsStorage__accountName: storageAccount.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The product data (subjects/, work/, models/, the job-results queue) through its own connection name, so the
  // triggers and clients of Rpo.Functions name "RpoStorage" and do not depend on where the host keeps its state.
  RpoStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
  RpoStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
  RpoStorage__credential: 'managedidentity'
  RpoStorage__clientId: identityClientId
  RpoServiceBus__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  RpoServiceBus__credential: 'managedidentity'
  RpoServiceBus__clientId: identityClientId
  // DefaultAzureCredential in application code picks the same identity.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  // Entra-authenticated telemetry (the component has local auth disabled).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // The app and its site endpoints accept Entra ID only for deployment (publishing credentials are disabled below).
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(identitySettings, appSettings)
  }

  // Basic (username/password) publishing is off: `func azure functionapp publish` and `az functionapp deployment`
  // authenticate with the signed-in Entra user.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

@description('The name of the function app.')
output name string = site.name

@description('The resource ID of the function app.')
output resourceId string = site.id

@description('The default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName

@description('The resource ID of the Flex Consumption plan.')
output planResourceId string = plan.id
