"""Use cases of the records endpoint: a page or the whole list of a figure's records, as a user may see them, audited."""
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from ops_metrics.constants import PERM_ADMIN, AuditAction, ResourceType
from ops_metrics.models import OpsConfig
from ops_metrics.reports.encoding import render_payload
from ops_metrics.reports.records import FIGURES, RecordsQuery, all_records, records_page
from ops_metrics.services.access import ops_permissions
from ops_metrics.services.audit import record_audit
from ops_metrics.windows.ranges import InvalidQuery, staff_text


class NotPermitted(Exception):
    """The user may not see what was asked for (a revenue figure without ops.admin); already audited."""


@dataclass(frozen=True)
class RecordsPage:
    """A rendered page (plain JSON types) and its validator."""

    payload: dict
    etag: str


@dataclass(frozen=True)
class RecordsExport:
    """The whole list: its columns and the rendered rows, read from the database as they are iterated."""

    columns: list[str]
    rows: Iterator[dict]
    filename: str


def _audited(*, user: AbstractBaseUser, query: RecordsQuery, ip_address: str | None) -> tuple[bool, dict]:
    """Whether `user` holds ops.admin, and the audit fields of this request; NotPermitted (audited) if refused."""
    audit = {"user": user, "period": query.period, "include": (), "ip_address": ip_address,
             "resource_type": ResourceType.DASHBOARD_RECORDS, "figure": query.figure,
             "staff_filter": staff_text(query.staff)}
    is_admin = PERM_ADMIN in ops_permissions(user=user)
    if FIGURES[query.figure].admin_only and not is_admin:
        record_audit(action=AuditAction.VIEW_RECORDS_DENIED, **audit)
        raise NotPermitted(f"The records of {query.figure} require the {PERM_ADMIN} permission.")
    return is_admin, audit


def _etag(payload: dict) -> str:
    """A validator of what the page shows: its figure, count and rows (not its clock, window end or cursors)."""
    shown = {key: payload.get(key) for key in ("figure", "count", "amount", "results")}
    return f'"{hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:32]}"'


def records_for_user(*, user: AbstractBaseUser, query: RecordsQuery, ip_address: str | None) -> RecordsPage:
    """One page of the records behind a figure (amounts for ops.admin only), audited.

    NotPermitted for a revenue figure without ops.admin, InvalidQuery for a cursor or range that cannot be served
    (both audited as refusals).
    """
    is_admin, audit = _audited(user=user, query=query, ip_address=ip_address)
    try:
        payload = render_payload(records_page(query=query, config=OpsConfig.load(), now=timezone.now(),
                                              amounts=is_admin))
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_RECORDS_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_RECORDS, **audit)
    return RecordsPage(payload=payload, etag=_etag(payload))


def records_export_for_user(*, user: AbstractBaseUser, query: RecordsQuery, ip_address: str | None) -> RecordsExport:
    """Every record behind a figure, for a streamed CSV, audited as one request (refusals as in records_for_user)."""
    is_admin, audit = _audited(user=user, query=query, ip_address=ip_address)
    config = OpsConfig.load()
    try:
        columns, rows = all_records(query=query, config=config, now=timezone.now(), amounts=is_admin)
    except InvalidQuery:
        record_audit(action=AuditAction.VIEW_RECORDS_DENIED, **audit)
        raise
    record_audit(action=AuditAction.VIEW_RECORDS, **audit)
    filename = f"ops-records-{query.figure}-{query.period}.csv"
    return RecordsExport(columns=columns, rows=(render_payload(row) for row in rows), filename=filename)
