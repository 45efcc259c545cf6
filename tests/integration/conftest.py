"""The integration tier uses the cluster fixtures of tests/conftest.py."""
