#!/usr/bin/env bash
# Build the image, push it to ECR, create or update the model stack, then run one Batch
# Transform job over s3://$DATA_BUCKET/input/ into s3://$DATA_BUCKET/output/JOB_NAME/.
# Usage: deploy/deploy.sh [IMAGE_TAG]    (default: the model's hash, 0123456789ab)
# Needs: docker, the AWS CLI v2 signed in, AWS_REGION and DATA_BUCKET set.

set -euo pipefail
cd "$(dirname "$0")/.."

: "${AWS_REGION:?set AWS_REGION, e.g. export AWS_REGION=eu-west-1}"
: "${DATA_BUCKET:?set DATA_BUCKET to the S3 bucket with input/ and output/}"
STACK="${STACK:-churn-batch}"
TAG="${1:-0123456789ab}"
ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
REGISTRY="${ACCOUNT}.dkr.ecr.${AWS_REGION}.amazonaws.com"
IMAGE="${REGISTRY}/churn:${TAG}"

aws ecr describe-repositories --repository-names churn --region "$AWS_REGION" >/dev/null 2>&1 \
  || aws ecr create-repository --repository-name churn --region "$AWS_REGION" \
       --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE >/dev/null
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY"
if ! docker manifest inspect "$IMAGE" >/dev/null 2>&1; then
  docker build --platform linux/amd64 -t "$IMAGE" .
  docker push "$IMAGE"
fi

aws cloudformation deploy --region "$AWS_REGION" --stack-name "$STACK" \
  --template-file sagemaker/model.yaml --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides "ImageUri=${IMAGE}" "DataBucket=${DATA_BUCKET}"
MODEL="$(aws cloudformation describe-stacks --region "$AWS_REGION" --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='ModelName'].OutputValue" --output text)"

JOB="churn-$(date -u +%Y%m%d-%H%M%S)"
request="$(mktemp)"
trap 'rm -f "$request"' EXIT
sed -e "s|JOB_NAME|${JOB}|g" -e "s|MODEL_NAME|${MODEL}|" -e "s|DATA_BUCKET|${DATA_BUCKET}|g" \
  sagemaker/transform-job.json > "$request"
aws sagemaker create-transform-job --region "$AWS_REGION" --cli-input-json "file://${request}"
aws sagemaker wait transform-job-completed-or-stopped --region "$AWS_REGION" --transform-job-name "$JOB"
aws sagemaker describe-transform-job --region "$AWS_REGION" --transform-job-name "$JOB" \
  --query '{status: TransformJobStatus, failure: FailureReason, output: TransformOutput.S3OutputPath}'
