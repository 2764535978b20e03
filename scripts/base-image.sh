#!/usr/bin/env bash
# Build a local Debian bookworm image with Python 3, for machines that cannot pull images.
# Usage: scripts/base-image.sh [NAME:TAG]   (default deploy-advisor-base:bookworm)
set -euo pipefail
image="${1:-deploy-advisor-base:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
rootfs="$(mktemp -d /tmp/rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$rootfs" >/tmp/debootstrap.log 2>&1 || { tail -20 /tmp/debootstrap.log >&2; exit 4; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' - "$image" >/dev/null
echo "built $image"
