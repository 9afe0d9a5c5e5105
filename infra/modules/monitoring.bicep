metadata name = 'Monitoring'
metadata description = 'Log Analytics workspace and a workspace-based Application Insights component with local (instrumentation key) authentication disabled, so telemetry is accepted only from Entra identities that hold Monitoring Metrics Publisher.'

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Location of both resources.')
param location string = resourceGroup().location

@description('Optional. Tags of both resources.')
param tags object = {}

@description('Optional. Days of log retention in the workspace (30 is included in the per-GB price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Daily ingestion cap in GB for the workspace; -1 for none. A cap keeps a runaway log loop from becoming a bill.')
param dailyQuotaGb int = 1

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Entra-only ingestion: the connection string alone (which holds the instrumentation key) cannot write telemetry.
    DisableLocalAuth: true
  }
}

@description('The name of the Application Insights component.')
output name string = applicationInsights.name

@description('The resource ID of the Application Insights component.')
output resourceId string = applicationInsights.id

@description('The Application Insights connection string (an endpoint and instrumentation key, not a credential: local auth is disabled).')
output connectionString string = applicationInsights.properties.ConnectionString

@description('The name of the Log Analytics workspace.')
output logAnalyticsName string = workspace.name

@description('The resource ID of the Log Analytics workspace.')
output logAnalyticsResourceId string = workspace.id
