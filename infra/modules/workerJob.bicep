metadata name = 'GPU worker job'
metadata description = 'The event-driven Container Apps Job that runs the Rpo.Worker image on the serverless GPU profile. KEDA\'s azure-servicebus scaler starts an execution per waiting job message and authenticates with the platform identity; the container itself runs as the worker identity.'

@description('Required. Name of the job (2-32 lowercase letters, digits and hyphens).')
@minLength(2)
@maxLength(32)
param name string

@description('Optional. Location of the job.')
param location string = resourceGroup().location

@description('Optional. Tags of the job.')
param tags object = {}

@description('Required. Resource ID of the Container Apps environment.')
param environmentResourceId string

@description('Required. Name of the GPU workload profile in that environment.')
param workloadProfileName string

@description('Required. The GPU workload profile type, which sets the CPU and memory the container may ask for.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuWorkloadProfileType string

@description('Required. Full image reference of the worker, e.g. <registry>.azurecr.io/rpo-worker:1.0.0.')
param image string

@description('Required. Login server of the registry the image is pulled from (empty for a public placeholder image).')
param registryServer string

@description('Required. Resource ID of the worker identity: the container uses it for storage, Service Bus and telemetry.')
param workerIdentityResourceId string

@description('Required. Client ID of the worker identity (AZURE_CLIENT_ID and the __clientId settings).')
param workerIdentityClientId string

@description('Required. Resource ID of the platform identity: it pulls the image and lets the scaler read queue lengths; the container cannot get its tokens.')
param platformIdentityResourceId string

@description('Required. Name (not FQDN) of the Service Bus namespace the job queues live in; the KEDA scaler takes the name.')
param serviceBusNamespaceName string

@description('Required. Fully qualified Service Bus namespace, for the worker\'s client.')
param serviceBusFullyQualifiedNamespace string

@description('Required. The job queues; each gets one scale rule.')
param jobQueueNames string[]

@description('Required. Blob endpoint of the storage account.')
param blobServiceUri string

@description('Required. Queue endpoint of the storage account (results go to the job-results queue).')
param queueServiceUri string

@description('Required. Name of the queue the worker reports results to.')
param jobResultsQueueName string

@description('Required. Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Optional. Most executions running at once, i.e. most GPUs in use (each execution holds one GPU).')
@minValue(1)
@maxValue(100)
param maxExecutions int = 4

@description('Optional. Seconds an execution may run before it is stopped. A training job at the paper\'s 400 steps plus negatives takes about an hour on a T4.')
@minValue(600)
@maxValue(86400)
param replicaTimeoutSeconds int = 14400

@description('Optional. Seconds between scaler checks of the queues.')
@minValue(10)
param pollingIntervalSeconds int = 30

@description('Optional. Seconds an execution waits with no message before it exits, giving the GPU back.')
@minValue(0)
param idleExitSeconds int = 60

// What the container may request on each serverless GPU profile (one GPU each).
var profileResources = {
  'Consumption-GPU-NC8as-T4': {
    cpu: json('8.0')
    memory: '56Gi'
  }
  'Consumption-GPU-NC24-A100': {
    cpu: json('24.0')
    memory: '220Gi'
  }
}

resource job 'Microsoft.App/jobs@2025-07-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${workerIdentityResourceId}': {}
      '${platformIdentityResourceId}': {}
    }
  }
  properties: {
    environmentId: environmentResourceId
    workloadProfileName: workloadProfileName
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeoutSeconds
      // A failed execution is not retried by the platform: the message goes back to its queue and Service Bus
      // redelivers it (up to maxDeliveryCount, then the dead-letter queue), which is where retries are counted.
      replicaRetryLimit: 0
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: pollingIntervalSeconds
          rules: [
            for queueName in jobQueueNames: {
              name: queueName
              type: 'azure-servicebus'
              metadata: {
                namespace: serviceBusNamespaceName
                queueName: queueName
                // One execution (one GPU) per waiting job.
                messageCount: '1'
              }
              // KEDA authenticates as the platform identity: no connection string secret exists.
              identity: platformIdentityResourceId
            }
          ]
        }
      }
      identitySettings: [
        {
          // The platform identity only pulls the image and feeds the scaler: no token for it inside the container.
          identity: platformIdentityResourceId
          lifecycle: 'None'
        }
        {
          identity: workerIdentityResourceId
          lifecycle: 'Main'
        }
      ]
      registries: empty(registryServer)
        ? []
        : [
            {
              server: registryServer
              identity: platformIdentityResourceId
            }
          ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          resources: profileResources[gpuWorkloadProfileType]
          env: [
            {
              name: 'AZURE_CLIENT_ID'
              value: workerIdentityClientId
            }
            {
              name: 'RpoStorage__blobServiceUri'
              value: blobServiceUri
            }
            {
              name: 'RpoStorage__queueServiceUri'
              value: queueServiceUri
            }
            {
              name: 'RpoStorage__credential'
              value: 'managedidentity'
            }
            {
              name: 'RpoStorage__clientId'
              value: workerIdentityClientId
            }
            {
              name: 'RpoServiceBus__fullyQualifiedNamespace'
              value: serviceBusFullyQualifiedNamespace
            }
            {
              name: 'RpoServiceBus__credential'
              value: 'managedidentity'
            }
            {
              name: 'RpoServiceBus__clientId'
              value: workerIdentityClientId
            }
            {
              name: 'RpoWorker__JobResultsQueue'
              value: jobResultsQueueName
            }
            {
              name: 'RpoWorker__IdleExitSeconds'
              value: string(idleExitSeconds)
            }
            {
              name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
              value: applicationInsightsConnectionString
            }
            {
              name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
              value: 'ClientId=${workerIdentityClientId};Authorization=AAD'
            }
          ]
        }
      ]
    }
  }
}

@description('The name of the job.')
output name string = job.name

@description('The resource ID of the job.')
output resourceId string = job.id
