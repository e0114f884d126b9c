"""Alerts: evaluate rules over the dashboard figures, write notifications to an outbox, deliver them signed."""
