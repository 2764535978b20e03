#!/usr/bin/env bash
# Build the image, push it to Artifact Registry and replace the Cloud Run service.
# Usage: deploy/deploy.sh [IMAGE_TAG]    (default: the model's hash, 0123456789ab)
# Needs: docker, gcloud signed in (gcloud auth login), PROJECT and REGION set; REPOSITORY is the
# Artifact Registry Docker repository (created here when missing).

set -euo pipefail
cd "$(dirname "$0")/.."

: "${PROJECT:?set PROJECT to your Google Cloud project id}"
: "${REGION:?set REGION, e.g. export REGION=europe-west1}"
REPOSITORY="${REPOSITORY:-churn}"
TAG="${1:-0123456789ab}"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT}/${REPOSITORY}/churn:${TAG}"

gcloud artifacts repositories describe "$REPOSITORY" --project "$PROJECT" --location "$REGION" >/dev/null 2>&1 \
  || gcloud artifacts repositories create "$REPOSITORY" --project "$PROJECT" --location "$REGION" \
       --repository-format docker
gcloud auth configure-docker "${REGION}-docker.pkg.dev" --quiet

docker build --platform linux/amd64 -t "$IMAGE" .
docker push "$IMAGE"

service="$(mktemp)"
trap 'rm -f "$service"' EXIT
sed "s|image: IMAGE$|image: ${IMAGE}|" cloud-run/service.yaml > "$service"
gcloud run services replace "$service" --project "$PROJECT" --region "$REGION"
gcloud run services describe churn --project "$PROJECT" --region "$REGION" --format 'value(status.url)'
