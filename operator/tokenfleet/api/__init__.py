"""The three custom resource kinds as pydantic models: the single source of truth for the CRDs."""
