"""Management commands of the ops metrics app."""
