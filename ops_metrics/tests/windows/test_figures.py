"""Figure arithmetic: growth, rounding half away from zero, money, percentages, hours."""
from datetime import timedelta
from decimal import Decimal

import pytest

from ops_metrics.windows.figures import growth_rate, hours, mean_hours, money, percentage, rounded


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (15, 10, 50.0),  # up
        (5, 10, -50.0),  # down
        (10, 10, 0.0),  # flat
        (7, 0, None),  # from zero
        (0, 0, None),
        (1, 3, -66.7),
        (2, 3, -33.3),
        (Decimal("0.30"), Decimal("40.00"), -99.3),  # -99.25: half away from zero
        (Decimal("100.01"), Decimal("100.00"), 0.0),
    ],
)
def test_growth_rate(current, previous, expected):
    assert growth_rate(current=current, previous=previous) == expected


def test_rounding_is_half_up_on_the_decimal_value():
    assert rounded(Decimal("54.625"), places=2) == 54.63  # float(54.625) rounds to 54.62 with round()
    assert rounded(Decimal("2.675"), places=2) == 2.68
    assert rounded(Decimal("-0.05"), places=1) == -0.1
    assert percentage(part=1, whole=3) == 33.3
    assert percentage(part=2, whole=3) == 66.7
    assert percentage(part=0, whole=0) is None
    assert money(Decimal("397.575")) == Decimal("397.58")
    assert money(Decimal("0.125")) == Decimal("0.13")  # half-even (Decimal's default) would give 0.12
    assert money(Decimal("-0.125")) == Decimal("-0.13")
    assert str(money(Decimal("0"))) == "0.00"


def test_hours_from_a_database_duration():
    assert hours(None) is None
    assert hours(timedelta(hours=54, minutes=37, seconds=30)) == 54.63
    assert hours(timedelta(days=8)) == 192.0
    assert hours(timedelta(microseconds=1)) == 0.0
    assert isinstance(hours(timedelta(minutes=90)), float)


def test_hours_convert_whole_microseconds_exactly_beyond_float_precision():
    # 2**53 µs and more (about 285 years): 2,502,000 h + 17.999999 s is 2502000.004999… h, so .00, not .01;
    # dividing the timedelta in floating point rounds the microseconds up to 18 s and the hours to .01.
    assert hours(timedelta(days=104250, seconds=17, microseconds=999999)) == 2502000.0


def test_mean_hours_rounds_the_exact_mean_to_the_microsecond_first():
    assert mean_hours(total_microseconds=0, count=0) is None
    # 17.9999995 s on average: the microsecond mean is 18 s (half-even), 0.005 h, so 0.01 h.
    assert mean_hours(total_microseconds=2 * 18_000_000 - 1, count=2) == 0.01
    assert mean_hours(total_microseconds=7 * 3_600_000_000, count=2) == 3.5
