"""advisor of deploy-advisor."""
