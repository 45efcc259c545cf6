"""Helpers shared by the test tiers: the local control plane, object builders, expectations."""
