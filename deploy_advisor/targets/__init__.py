"""targets of deploy-advisor."""
