#!/usr/bin/env bash
# Build the image, push it to Azure Container Registry and create or update the online endpoint.
# Usage: deploy/deploy.sh [IMAGE_TAG]    (default: the model's hash, 0123456789ab)
# Needs: docker, the Azure CLI with the ml extension signed in (az login), and
# RESOURCE_GROUP, WORKSPACE and REGISTRY (the registry's name, without .azurecr.io) set.

set -euo pipefail
cd "$(dirname "$0")/.."

: "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the workspace}"
: "${WORKSPACE:?set WORKSPACE to the Azure ML workspace name}"
: "${REGISTRY:?set REGISTRY to the Azure Container Registry name}"
DEPLOYMENT="${DEPLOYMENT:-blue}"
TAG="${1:-0123456789ab}"
IMAGE="${REGISTRY}.azurecr.io/churn:${TAG}"
ml=(--resource-group "$RESOURCE_GROUP" --workspace-name "$WORKSPACE")

az acr login --name "$REGISTRY"
docker build --platform linux/amd64 -t "$IMAGE" .
docker push "$IMAGE"

az ml online-endpoint show --name churn "${ml[@]}" >/dev/null 2>&1 \
  || az ml online-endpoint create --file azure-ml/endpoint.yml "${ml[@]}"
if az ml online-deployment show --name "$DEPLOYMENT" --endpoint-name churn "${ml[@]}" >/dev/null 2>&1; then
  az ml online-deployment update --file azure-ml/deployment.yml "${ml[@]}" \
    --set "name=${DEPLOYMENT}" "environment.image=${IMAGE}"
else
  az ml online-deployment create --file azure-ml/deployment.yml "${ml[@]}" \
    --set "name=${DEPLOYMENT}" "environment.image=${IMAGE}"
fi
# A first deployment takes all the traffic; a second one starts at 0% (see README.md).
if [ "$(az ml online-deployment list --endpoint-name churn "${ml[@]}" --query 'length(@)' -o tsv)" = "1" ]; then
  az ml online-endpoint update --name churn "${ml[@]}" --traffic "${DEPLOYMENT}=100"
fi
az ml online-endpoint show --name churn "${ml[@]}" --query scoring_uri -o tsv
