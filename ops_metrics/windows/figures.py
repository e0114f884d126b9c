"""Figure arithmetic: rounding, money, growth, percentages and hours, as docs/api.md, figures renders them."""
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ZERO = Decimal("0")
CENT = Decimal("0.01")
MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_HOUR = 3_600_000_000


def rounded(value: Decimal | int, *, places: int) -> float:
    """`value` rounded half away from zero to `places` decimals, as a float (for hours and percentages)."""
    return float(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def money(value: Decimal) -> Decimal:
    """An amount quantized to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def growth_rate(*, current: Decimal | int, previous: Decimal | int) -> float | None:
    """(current − previous) / previous × 100, one decimal; None when previous is 0."""
    if not previous:
        return None
    return rounded((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous), places=1)


def percentage(*, part: int, whole: int) -> float | None:
    """part / whole × 100, one decimal; None when whole is 0."""
    return rounded(Decimal(part) * 100 / Decimal(whole), places=1) if whole else None


def hours(duration: timedelta | None) -> float | None:
    """A duration in hours, two decimals; None when there was nothing to measure."""
    if duration is None:
        return None
    return rounded(Decimal(duration // MICROSECOND) / MICROSECONDS_PER_HOUR, places=2)


def mean_hours(*, total_microseconds: int, count: int) -> float | None:
    """total / count in hours, two decimals; None when there was nothing to average.

    The exact mean is first rounded half-even to the microsecond, as PostgreSQL's avg(interval) returns it, so the
    figure matches a database avg(). (PostgreSQL divides in floating point and can land 1 µs off; that changes the
    hours only for a mean within 1 µs of an 18-second rounding edge.)
    """
    if not count:
        return None
    return hours(timedelta(microseconds=round(Fraction(total_microseconds, count))))
