#!/usr/bin/env bash
# Ship this scaffold to a VPS prepared by deploy/cloud-init.yaml, restart, check health, roll back on failure.
# Usage: deploy/deploy.sh HOST [rollback]      Environment: SSH_USER (default root)
# Releases are $root/releases/<UTC time>; a release that fails its health check is deleted (or
# marked .failed when there is none to go back to), so `rollback` goes to the newest healthy
# release older than the current one.
# A switch (deploy or rollback) points `current` at the release atomically and restarts the
# service: $app.socket keeps listening, so requests wait in its backlog while the old release
# finishes what it holds and the new one loads; none is refused.
set -euo pipefail
host="${1:?usage: deploy/deploy.sh HOST [rollback]}"
action="${2:-deploy}"
target="${SSH_USER:-root}@$host"
app=churn
root=/opt/churn
here="$(cd "$(dirname "$0")/.." && pwd)"
release="$(date -u +%Y%m%d%H%M%S)"

if [[ "$action" == deploy ]]; then
  rsync -az --delete --exclude /.venv/ --exclude /venv/ --exclude .git/ --exclude __pycache__/ \
    --exclude /deploy/ --exclude /samples/ --exclude /locustfile.py \
    "$here/" "$target:$root/releases/$release/"
fi

ssh "$target" bash -s -- "$app" "$root" "$release" "$action" <<'REMOTE'
set -euo pipefail
app="$1"; root="$2"; release="$3"; action="$4"
previous=""
[[ -L "$root/current" ]] && previous="$(readlink -f "$root/current")"
switch() { ln -sfn "$1" "$root/current.new" && mv -T "$root/current.new" "$root/current"; }
healthy() {
  for _ in $(seq 1 15); do
    curl -fsS --max-time 5 "http://127.0.0.1:8000/readyz" >/dev/null 2>&1 && return 0
    sleep 2
  done
  return 1
}
# Release names are UTC times, so name order is deploy order (rsync keeps the local mtimes).
releases() { find "$root/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort; }
if [[ "$action" == rollback ]]; then
  older=""
  for name in $(releases); do
    if [[ "$name" < "${previous##*/}" && ! -e "$root/releases/$name/.failed" ]]; then
      older="$root/releases/$name"
    fi
  done
  [[ -n "$older" ]] || { echo "no healthy release older than ${previous:-none} to roll back to" >&2; exit 1; }
  switch "$older"; systemctl restart "$app"
  healthy && { echo "rolled back to $older"; exit 0; }
  echo "rolled back to $older but it is not healthy; see journalctl -u $app" >&2; exit 1
fi
new="$root/releases/$release"
install() {
  python3 -m venv "$new/venv" || return 1
  if [[ -d "$new/wheels" ]]; then
    "$new/venv/bin/pip" install --quiet --no-index --find-links "$new/wheels" -r "$new/requirements.txt"
  else
    "$new/venv/bin/pip" install --quiet -r "$new/requirements.txt"
  fi
}
if ! install; then  # never leave a half-installed release behind as a rollback target
  rm -rf "$new"
  echo "release $release: installing its requirements failed; still on ${previous:-nothing}" >&2
  exit 1
fi
switch "$new"
systemctl restart "$app"
if healthy; then
  echo "deployed $release"
  releases | head -n -5 | sed "s|^|$root/releases/|" | xargs -r rm -rf
  exit 0
fi
echo "release $release failed its health check; rolling back" >&2
if [[ -n "$previous" && -d "$previous" ]]; then
  switch "$previous"; systemctl restart "$app"
  rm -rf "$new"
  echo "back on $previous; release $release deleted" >&2
else
  touch "$new/.failed"   # never a rollback target
  echo "no earlier release to go back to; $release stays current" >&2
fi
exit 1
REMOTE
