"""Shared test settings: warnings are errors (pyproject), each tier has its own fixtures."""
