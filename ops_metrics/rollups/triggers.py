"""The statement-level triggers that keep the summaries exact, declared with django-pgtrigger on proxy models.

The proxies live here, not in the domain apps (which never import the metrics app) nor in models/ (below the SQL they
are made of); the app config imports this module with its models. A change of a trigger body in sql.py is a change
of these triggers: `makemigrations` writes a migration that reinstalls them.
"""
import pgtrigger

from bookings.models import Booking
from complaints.models import Complaint
from ops_metrics.rollups.sql import TRIGGER_DECLARE, TRUNCATE, trigger_body

REFERENCING = {
    "insert": (pgtrigger.Insert, pgtrigger.Referencing(new="new_rows")),
    "update": (pgtrigger.Update, pgtrigger.Referencing(old="old_rows", new="new_rows")),
    "delete": (pgtrigger.Delete, pgtrigger.Referencing(old="old_rows")),
    TRUNCATE: (pgtrigger.Truncate, None),
}


def rollup_triggers(source: str) -> list[pgtrigger.Trigger]:
    """One AFTER ... FOR EACH STATEMENT trigger per event on the raw table `source`."""
    return [
        pgtrigger.Trigger(
            name=f"rollup_{event}", level=pgtrigger.Statement, when=pgtrigger.After, operation=operation,
            referencing=referencing, declare=TRIGGER_DECLARE, func=trigger_body(source=source, event=event),
        )
        for event, (operation, referencing) in REFERENCING.items()
    ]


class BookingSource(Booking):
    """Bookings as the summaries see them: the table that carries their triggers."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = rollup_triggers(Booking._meta.db_table)


class ComplaintSource(Complaint):
    """Complaints as the summaries see them: the table that carries their triggers."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = rollup_triggers(Complaint._meta.db_table)


SOURCE_MODELS = (BookingSource, ComplaintSource)
