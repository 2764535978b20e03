#!/usr/bin/env bash
# Build the batch image, push it to Artifact Registry and create or replace the Cloud Run job.
# Usage: deploy/deploy.sh [IMAGE_TAG]    (default: the model's hash, 0123456789ab)
# Needs: docker, gcloud signed in, PROJECT, REGION and BUCKET (the Cloud Storage bucket holding
# input/ and output/) set.

set -euo pipefail
cd "$(dirname "$0")/.."

: "${PROJECT:?set PROJECT to your Google Cloud project id}"
: "${REGION:?set REGION, e.g. export REGION=europe-west1}"
: "${BUCKET:?set BUCKET to the bucket with input/ and output/}"
REPOSITORY="${REPOSITORY:-churn}"
TAG="${1:-0123456789ab}"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT}/${REPOSITORY}/churn-score:${TAG}"

gcloud artifacts repositories describe "$REPOSITORY" --project "$PROJECT" --location "$REGION" >/dev/null 2>&1 \
  || gcloud artifacts repositories create "$REPOSITORY" --project "$PROJECT" --location "$REGION" \
       --repository-format docker
gcloud auth configure-docker "${REGION}-docker.pkg.dev" --quiet

docker build --platform linux/amd64 -t "$IMAGE" .
docker push "$IMAGE"

job="$(mktemp)"
trap 'rm -f "$job"' EXIT
sed -e "s|image: IMAGE$|image: ${IMAGE}|" -e "s|bucketName: BUCKET$|bucketName: ${BUCKET}|" \
  cloud-run/job.yaml > "$job"
gcloud run jobs replace "$job" --project "$PROJECT" --region "$REGION"
