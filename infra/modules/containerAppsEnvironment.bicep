metadata name = 'Container Apps managed environment'
metadata description = 'A workload-profiles environment with a serverless GPU profile for the worker job. Logs go to Azure Monitor through a diagnostic setting, so the environment never holds the Log Analytics shared key.'

@description('Required. Name of the environment.')
param name string

@description('Optional. Location of the environment. Serverless GPUs are offered in a few regions only (see docs/deploy.md).')
param location string = resourceGroup().location

@description('Optional. Tags of the environment.')
param tags object = {}

@description('Optional. The serverless GPU workload profile type: T4 (16 GB) is enough for SD 1.5 fine-tuning with fp16 and gradient checkpointing; A100 (80 GB) for SD 2.1 at 768 px or full-precision training.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuWorkloadProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Optional. Name given to the GPU workload profile inside the environment; jobs select it by this name.')
param gpuWorkloadProfileName string = 'gpu'

@description('Required. Resource ID of the Log Analytics workspace that receives the console and system logs.')
param logAnalyticsResourceId string

@description('Optional. Zone redundancy (needs a virtual network; off for a serverless GPU environment).')
param zoneRedundant bool = false

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      // Azure Monitor + the diagnostic setting below, instead of 'log-analytics' which needs the workspace key.
      destination: 'azure-monitor'
    }
    zoneRedundant: zoneRedundant
    workloadProfiles: [
      {
        // The environment always carries the plain Consumption profile; nothing runs on it here.
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuWorkloadProfileName
        workloadProfileType: gpuWorkloadProfileType
      }
    ]
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: environment
  properties: {
    workspaceId: logAnalyticsResourceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

@description('The name of the environment.')
output name string = environment.name

@description('The resource ID of the environment.')
output resourceId string = environment.id

@description('The name of the GPU workload profile.')
output gpuWorkloadProfileName string = gpuWorkloadProfileName
