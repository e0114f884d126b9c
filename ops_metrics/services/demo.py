"""Demo and load data: deterministic staff, bookings and complaints, and the two demo users."""
import math
import random
from array import array
from bisect import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate, islice

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connections, models, router, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter
from rest_framework.authtoken.models import Token
from tqdm import tqdm

from bookings.models import Booking, BookingStatus, PaymentStatus
from complaints.models import Complaint, ComplaintPriority, ComplaintStatus, SlaPolicy
from complaints.sla import SlaTargets
from ops_metrics.constants import ADMINS_GROUP, READERS_GROUP
from ops_metrics.models import OpsConfig
from ops_metrics.services.dashboard import invalidate_metrics_cache
from staff.models import Staff

BATCH_SIZE = 50_000
MAX_SEED = 2**32

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo",
    "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes", "Xia", "Yusuf", "Zoe",
)
LAST_NAMES = (
    "Adler", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan",
    "Larsen", "Moreau", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Vogel",
    "Walsh", "Xu", "Young", "Zimmer",
)
SUBJECTS = (
    "Technician arrived late", "Job left unfinished", "Charged twice", "Damage to property", "Rude staff member",
    "Booking cancelled without notice", "Wrong service performed", "Refund not received", "No-show",
    "Poor quality of work", "Invoice incorrect", "Could not reach support", "Follow-up visit missed",
)
DEMO_USERS = (
    # username, group, staff name, may use the Django admin
    ("ops_admin", ADMINS_GROUP, "Ops Admin (demo)", True),
    ("ops_reader", READERS_GROUP, "Ops Reader (demo)", False),
)
# Lets the demo admin review the audit log and edit the config in Django admin (the groups stay as docs/api.md, data model says).
DEMO_ADMIN_SITE_PERMISSIONS = ("view_opsauditlog", "view_opsconfig", "change_opsconfig")

BOOKING_FIELDS = (
    "reference", "customer_name", "status", "payment_status", "total_amount", "assigned_staff_id",
    "scheduled_for", "created_at", "updated_at",
)
COMPLAINT_FIELDS = (
    "booking_id", "subject", "priority", "status", "assigned_to_id", "created_at", "response_due_at",
    "resolution_due_at", "first_response_at", "resolved_at", "response_business_time", "resolution_business_time",
    "updated_at",
)


class SeedError(ValueError):
    """The demo data cannot be loaded as asked."""


@dataclass(frozen=True)
class SeedSummary:
    """What one seeding run loaded."""

    staff: int
    bookings: int
    complaints: int


@dataclass(frozen=True)
class DemoCredentials:
    """A demo login and its API token."""

    username: str
    group: str
    password: str
    token: str


def booking_reference_prefix(*, seed: int) -> str:
    """Prefix of every booking reference a seed generates (references are prefix + zero-padded index)."""
    return f"DM{seed:x}-"


def seed_demo_data(
    *,
    bookings: int,
    complaints: int,
    staff: int,
    days: int,
    seed: int,
    now: datetime,
    flush: bool = False,
    only_if_empty: bool = False,
    progress: bool = False,
) -> SeedSummary | None:
    """Load generated rows; every value is a function of (seed, now, sizes, SLA policies).

    Returns None when `only_if_empty` is set and bookings already exist.
    """
    if min(bookings, complaints, staff) < 0 or days < 1 or not 0 <= seed < MAX_SEED:
        raise SeedError("Sizes must be >= 0, days >= 1 and 0 <= seed < 2**32.")
    if timezone.is_naive(now):
        raise SeedError("`now` must be timezone-aware.")
    using = router.db_for_write(Booking)
    if only_if_empty and Booking.objects.using(using).exists():
        return None
    prefix = booking_reference_prefix(seed=seed)
    rng = random.Random(seed)
    config = OpsConfig.load()
    span_seconds = days * 86400
    loaded_at = timezone.now()
    with transaction.atomic(using=using):
        if flush:
            _flush(using=using)
        elif bookings and Booking.objects.using(using).filter(reference__startswith=prefix).exists():
            raise SeedError(f"Bookings of seed {seed} already exist; use --flush or another --seed.")
        staff_ids = [
            s.pk for s in Staff.objects.using(using).bulk_create(_staff(rng=rng, count=staff), batch_size=1000)
        ]
        staff_picker = _weighted_picker(rng=rng, values=staff_ids)
        booking_ages = array("l")
        _load(
            model=Booking,
            fields=BOOKING_FIELDS,
            rows=_booking_rows(
                rng=rng, count=bookings, span_seconds=span_seconds, now=now, prefix=prefix,
                pick_staff=staff_picker, ages=booking_ages, updated_at=loaded_at,
            ),
            total=bookings,
            using=using,
            progress=progress,
        )
        booking_ids = list(
            Booking.objects.using(using).filter(reference__startswith=prefix)
            .order_by("reference").values_list("pk", flat=True)
        )
        _load(
            model=Complaint,
            fields=COMPLAINT_FIELDS,
            rows=_complaint_rows(
                rng=rng, count=complaints, span_seconds=span_seconds, now=now, targets=SlaPolicy.sla_targets(),
                at_risk_buffer=timedelta(minutes=config.sla_at_risk_buffer_minutes), booking_ids=booking_ids,
                booking_ages=booking_ages, pick_staff=staff_picker, updated_at=loaded_at,
            ),
            total=complaints,
            using=using,
            progress=progress,
        )
    _analyze(using=using)
    invalidate_metrics_cache(using=using)
    return SeedSummary(staff=len(staff_ids), bookings=bookings, complaints=complaints)


def ensure_demo_users(*, password: str) -> list[DemoCredentials]:
    """Create or update `ops_admin` and `ops_reader` with this password, a Staff row and an API token each."""
    user_model = get_user_model()
    admin_site_permissions = Permission.objects.filter(
        content_type__app_label="ops", codename__in=DEMO_ADMIN_SITE_PERMISSIONS
    )
    credentials = []
    with transaction.atomic():
        for username, group_name, staff_name, uses_admin_site in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.set_password(password)
            user.is_active = True
            user.is_staff = uses_admin_site
            user.save()
            user.groups.add(Group.objects.get(name=group_name))
            if uses_admin_site:
                user.user_permissions.add(*admin_site_permissions)
            Staff.objects.update_or_create(user=user, defaults={"name": staff_name, "is_active": True})
            token, _ = Token.objects.get_or_create(user=user)
            credentials.append(
                DemoCredentials(username=username, group=group_name, password=password, token=token.key)
            )
    return credentials


def _flush(*, using: str) -> None:
    connection = connections[using]
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Complaint, Booking)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE refuses to run while deferred FK checks from earlier writes in this transaction are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    # Through the ORM: the audit log's staff link is SET_NULL, which TRUNCATE would not honour.
    Staff.objects.using(using).all().delete()


def _analyze(*, using: str) -> None:
    """Store rows in creation order, as years of appends would have, then refresh the planner's statistics.

    Generated rows arrive in random time order; left so, a window's rows would be scattered over the whole
    heap and an index range scan would read most of the table's pages, which no real history does.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Inside an outer transaction the loaded rows' deferred foreign-key checks must run before CLUSTER.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in (Booking, Complaint):
            index = next(index.name for index in model._meta.indexes if index.fields[:1] == ["created_at"])
            cursor.execute(f"CLUSTER {quote(model._meta.db_table)} USING {quote(index)}")
        tables = [quote(m._meta.db_table) for m in (Staff, Booking, Complaint)]
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _load(
    *, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple], total: int, using: str, progress: bool
) -> None:
    """Binary COPY on PostgreSQL, bulk_create elsewhere, in batches, with a progress bar."""
    connection = connections[using]
    model_fields = {f.attname: f for f in model._meta.concrete_fields}
    copy_sql = "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(model_fields[name].column) for name in fields),
    )
    # Binary COPY needs the column types; "varchar(32)" -> "varchar", "numeric(12, 2)" -> "numeric".
    copy_types = [model_fields[name].db_type(connection).split("(")[0] for name in fields]
    rows = iter(rows)
    with tqdm(total=total, desc=model._meta.verbose_name_plural, unit=" rows", disable=not progress) as bar:
        for start in range(0, total, BATCH_SIZE):
            size = min(BATCH_SIZE, total - start)
            batch = islice(rows, size)
            if connection.vendor == "postgresql":
                # The queued writer sends to the server from a thread while the rows are being generated.
                with connection.cursor() as cursor, cursor.copy(
                    copy_sql, writer=QueuedLibpqWriter(cursor.cursor)
                ) as copy:
                    copy.set_types(copy_types)
                    for row in batch:
                        copy.write_row(row)
            else:
                model.objects.using(using).bulk_create([model(**dict(zip(fields, row, strict=True))) for row in batch])
            bar.update(size)


def _staff(*, rng: random.Random, count: int) -> list[Staff]:
    combinations = len(FIRST_NAMES) * len(LAST_NAMES)
    picks = rng.sample(range(combinations), min(count, combinations))
    names = [f"{FIRST_NAMES[p // len(LAST_NAMES)]} {LAST_NAMES[p % len(LAST_NAMES)]}" for p in picks]
    names += [f"Temp Staff {i:05d}" for i in range(count - len(names))]
    # About one in ten has left: their old assignments stay, but they no longer count in the workload.
    return [Staff(name=name, is_active=rng.random() >= 0.1) for name in names]


def _weighted_picker(*, rng: random.Random, values: Sequence[int]):
    """A function picking one of `values` with uneven, seed-determined weights (None when there are none)."""
    if not values:
        return lambda: None
    cumulative = list(accumulate(rng.uniform(0.3, 1.7) for _ in values))
    total = cumulative[-1]
    return lambda: values[min(bisect(cumulative, rng.random() * total), len(values) - 1)]


def _age_seconds(*, rng: random.Random, span_seconds: int) -> int:
    """Seconds before `now`, with a density falling linearly with age: a business that has been growing."""
    return 1 + int(span_seconds * (1 - math.sqrt(1 - rng.random())))


class Weighted:
    """A fixed discrete distribution over choice values."""

    def __init__(self, *pairs: tuple[str, int]) -> None:
        self.values = [value for value, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random) -> str:
        index = bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return self.values[min(index, len(self.values) - 1)]


PRIORITIES = Weighted(
    (ComplaintPriority.LOW, 35), (ComplaintPriority.MEDIUM, 35), (ComplaintPriority.HIGH, 20),
    (ComplaintPriority.CRITICAL, 10),
)
# Booking status by where its scheduled time lies relative to `now`.
SCHEDULED_AHEAD = Weighted((BookingStatus.PENDING, 35), (BookingStatus.CONFIRMED, 55), (BookingStatus.CANCELLED, 10))
STARTED_RECENTLY = Weighted(
    (BookingStatus.IN_PROGRESS, 70), (BookingStatus.COMPLETED, 20), (BookingStatus.CANCELLED, 10)
)
SCHEDULED_BEFORE = Weighted(
    (BookingStatus.COMPLETED, 85), (BookingStatus.CANCELLED, 12), (BookingStatus.IN_PROGRESS, 3)
)
# Older than STALE_AFTER, work has long been closed out: no backlog grows with the years of history.
SCHEDULED_LONG_AGO = Weighted((BookingStatus.COMPLETED, 88), (BookingStatus.CANCELLED, 12))
PAYMENTS = {
    BookingStatus.PENDING: Weighted((PaymentStatus.UNPAID, 1)),
    BookingStatus.CONFIRMED: Weighted((PaymentStatus.PAID, 60), (PaymentStatus.UNPAID, 40)),
    BookingStatus.IN_PROGRESS: Weighted((PaymentStatus.PAID, 70), (PaymentStatus.UNPAID, 30)),
    BookingStatus.COMPLETED: Weighted((PaymentStatus.PAID, 92), (PaymentStatus.UNPAID, 5), (PaymentStatus.REFUNDED, 3)),
    BookingStatus.CANCELLED: Weighted((PaymentStatus.REFUNDED, 50), (PaymentStatus.UNPAID, 50)),
}
IN_PROGRESS_WINDOW = timedelta(hours=6)
STALE_AFTER = timedelta(days=30)


def _booking_rows(
    *, rng: random.Random, count: int, span_seconds: int, now: datetime, prefix: str, pick_staff,
    ages: array, updated_at: datetime,
) -> Iterator[tuple]:
    width = max(7, len(str(count - 1)))
    for index in range(count):
        age = _age_seconds(rng=rng, span_seconds=span_seconds)
        ages.append(age)
        created_at = now - timedelta(seconds=age)
        lead_seconds = min(max(rng.expovariate(1 / (4 * 86400)), 2 * 3600), 30 * 86400)
        scheduled_for = created_at + timedelta(seconds=int(lead_seconds))
        if scheduled_for > now:
            status = SCHEDULED_AHEAD.pick(rng)
        elif now - scheduled_for < IN_PROGRESS_WINDOW:
            status = STARTED_RECENTLY.pick(rng)
        elif now - scheduled_for < STALE_AFTER:
            status = SCHEDULED_BEFORE.pick(rng)
        else:
            status = SCHEDULED_LONG_AGO.pick(rng)
        payment_status = PAYMENTS[status].pick(rng)
        cents = min(max(int(rng.lognormvariate(math.log(12_000), 0.55)), 1_500), 500_000)
        unassigned = rng.random() < (0.5 if status == BookingStatus.PENDING else 0.08)
        staff_id = None if unassigned else pick_staff()
        if status == BookingStatus.PENDING and rng.random() < 0.2:
            scheduled_for = None
        yield (
            f"{prefix}{index:0{width}d}",
            f"{FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]} {LAST_NAMES[rng.randrange(len(LAST_NAMES))]}",
            status,
            payment_status,
            Decimal(cents).scaleb(-2),
            staff_id,
            scheduled_for,
            created_at,
            updated_at,
        )


def _complaint_rows(
    *, rng: random.Random, count: int, span_seconds: int, now: datetime,
    targets: dict[str, SlaTargets], at_risk_buffer: timedelta, booking_ids: Sequence[int],
    booking_ages: Sequence[int], pick_staff, updated_at: datetime,
) -> Iterator[tuple]:
    """Complaint rows in COMPLAINT_FIELDS order; business times measured by each priority's SlaTargets, as save() does.

    Due times are created_at + the target hours of elapsed time (a policy's calendar does not move them here).
    """
    for _ in range(count):
        priority = PRIORITIES.pick(rng)
        policy = targets[priority]
        response_target, resolution_target = policy.response, policy.resolution
        subject = SUBJECTS[rng.randrange(len(SUBJECTS))]
        booking_id = None
        if rng.random() < 0.005:
            # At risk: created so that the response is due inside the buffer, and not answered yet.
            created_at = now - response_target + min(at_risk_buffer, response_target) * rng.uniform(0.1, 0.9)
            yield (
                None, subject, priority, ComplaintStatus.OPEN, pick_staff(), created_at,
                created_at + response_target, created_at + resolution_target, None, None, None, None, updated_at,
            )
            continue
        if booking_ids and rng.random() < 0.6:
            index = rng.randrange(len(booking_ids))
            booking_id = booking_ids[index]
            gap = rng.expovariate(1 / (2 * 86400))
            age = max(1, int(booking_ages[index] - gap))
        else:
            age = _age_seconds(rng=rng, span_seconds=span_seconds)
        created_at = now - timedelta(seconds=age)
        tracked = rng.random() >= 0.02
        response_ratio = rng.uniform(0.05, 0.95) if rng.random() < 0.85 else rng.uniform(1.05, 3.0)
        resolution_ratio = rng.uniform(0.1, 0.95) if rng.random() < 0.8 else rng.uniform(1.05, 2.5)
        first_response_at = created_at + response_target * response_ratio
        resolved_at = max(created_at + resolution_target * resolution_ratio, first_response_at + timedelta(minutes=10))
        # A few are never worked to the end: once past due they are the overdue ones.
        stalled = rng.random() < (0.08 if now - created_at < STALE_AFTER else 0.002)
        if resolved_at <= now and not stalled:
            status = ComplaintStatus.CLOSED if rng.random() < 0.65 else ComplaintStatus.RESOLVED
        else:
            resolved_at = None
            if first_response_at > now:
                first_response_at = None
                status = ComplaintStatus.OPEN
            else:
                overdue = now > created_at + resolution_target
                escalated = rng.random() < (0.4 if overdue else 0.12)
                status = ComplaintStatus.ESCALATED if escalated else ComplaintStatus.IN_PROGRESS
        unassigned = rng.random() < (0.6 if status == ComplaintStatus.OPEN else 0.08)
        yield (
            booking_id, subject, priority, status, None if unassigned else pick_staff(), created_at,
            created_at + response_target if tracked else None,
            created_at + resolution_target if tracked else None,
            first_response_at, resolved_at,
            *policy.business_times(created_at=created_at, first_response_at=first_response_at, resolved_at=resolved_at),
            updated_at,
        )
