"""deploy-advisor: choose, scaffold, load-test and cost the deployment of a trained model."""

__all__ = ["__version__"]

__version__ = "0.1.0"
