"""Model intake: introspect a model file (`inspect`), generate sample payloads, make the example."""

from __future__ import annotations

from deploy_advisor.intake.example import ExampleModel, make_example_model
from deploy_advisor.intake.inspect import ModelReport, inspect_model
from deploy_advisor.intake.payloads import sample_payloads

__all__ = ["ExampleModel", "ModelReport", "inspect_model", "make_example_model", "sample_payloads"]
