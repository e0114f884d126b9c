"""Project-level tests."""
