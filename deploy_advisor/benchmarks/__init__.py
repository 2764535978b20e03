"""benchmarks of deploy-advisor."""
