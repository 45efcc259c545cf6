"""Shared test settings: every tier runs with warnings as errors (pyproject) and a fresh registry."""
