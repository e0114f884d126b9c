"""A change to a business calendar, its holidays or an SLA policy recomputes open due times once after commit."""
import threading

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save

from complaints.models import BusinessCalendar, BusinessHoliday, SlaPolicy

DISPATCH_UID = "complaints.sla_recompute"

_scheduled = threading.local()  # per database alias: the _Recompute last scheduled in this thread


class _Recompute:
    """One scheduled run of sla_recompute."""

    def __init__(self) -> None:
        self.started = False

    def __call__(self) -> None:
        from complaints.services import sla_recompute

        self.started = True
        sla_recompute()


def schedule_sla_recompute(*, using: str | None = None) -> None:
    """Recompute open due times once when the current transaction commits (at once outside one)."""
    alias = using or DEFAULT_DB_ALIAS
    connection = transaction.get_connection(alias)
    pending = getattr(_scheduled, alias, None)
    # One recompute per transaction, however many calendars, holidays and policies it saves (an admin inline save);
    # a run dropped by a rollback is no longer in run_on_commit and does not count.
    if pending is not None and not pending.started and any(func is pending for _, func, _ in connection.run_on_commit):
        return
    callback = _Recompute()
    setattr(_scheduled, alias, callback)
    transaction.on_commit(callback, using=alias, robust=True)  # the change is committed; a failure is logged


def _changed(sender, instance, using, raw=False, **kwargs) -> None:
    if not raw:
        schedule_sla_recompute(using=using)


def connect() -> None:
    """Connect the recompute to saves and deletes of calendars, holidays and policies (idempotent)."""
    for model in (BusinessCalendar, BusinessHoliday, SlaPolicy):
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model, dispatch_uid=f"{DISPATCH_UID}.{model.__name__}.{signal is post_save}")
