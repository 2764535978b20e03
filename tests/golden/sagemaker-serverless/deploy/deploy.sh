#!/usr/bin/env bash
# Build the image, push it to ECR and create or update the SageMaker stack.
# Usage: deploy/deploy.sh [IMAGE_TAG]    (default: the model's hash, 0123456789ab)
# Needs: docker, the AWS CLI v2 signed in (aws configure / SSO), AWS_REGION set.
# CloudFormation rolls a failed create or update back by itself; a new image replaces the old one only once it is healthy.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${AWS_REGION:?set AWS_REGION, e.g. export AWS_REGION=eu-west-1}"
STACK="${STACK:-churn}"
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

aws cloudformation deploy \
  --region "$AWS_REGION" \
  --stack-name "$STACK" \
  --template-file sagemaker/endpoint.yaml \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides "ImageUri=${IMAGE}"

aws cloudformation describe-stacks --region "$AWS_REGION" --stack-name "$STACK" \
  --query 'Stacks[0].Outputs' --output table
