using './main.bicep'

// Values for a development deployment. The three values read from environment variables change between the first
// and the second deployment (docs/deploy.md), e.g.
//   RPO_WORKER_IMAGE_TAG=1.0.0 RPO_DEPLOY_BLOB_EVENT_SUBSCRIPTION=true \
//     az deployment group create -g <group> -f infra/main.bicep -p infra/main.bicepparam
param environmentName = 'rpo-dev'
param workRetentionDays = 7
param gpuWorkloadProfileType = 'Consumption-GPU-NC8as-T4'
param workerImageTag = readEnvironmentVariable('RPO_WORKER_IMAGE_TAG', '')
param workerMaxExecutions = 2
param deployBlobEventSubscription = bool(readEnvironmentVariable('RPO_DEPLOY_BLOB_EVENT_SUBSCRIPTION', 'false'))
param blobTriggerFunctionName = 'SubjectBlobTrigger'
param uploaderPrincipalId = readEnvironmentVariable('RPO_UPLOADER_PRINCIPAL_ID', '')
param tags = {
  project: 'RpoFunctions'
}
