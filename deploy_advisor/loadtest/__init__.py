"""Load tests: Locust runs against a URL or a scaffold launched locally, results, SLOs."""
