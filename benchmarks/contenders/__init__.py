"""Contender apps and harness parts for `make bench-serving`."""
