"""reports of deploy-advisor."""
