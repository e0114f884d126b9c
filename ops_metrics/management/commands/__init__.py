"""Management commands: thin wrappers around services."""
