"""Local emulation of a deployment: processes, containers, nginx, cgroups, readiness, stats."""
