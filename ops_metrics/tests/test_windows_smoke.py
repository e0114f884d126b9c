"""Placeholder removed once test_windows lands."""
from datetime import datetime
from zoneinfo import ZoneInfo

from ops_metrics.windows import build_windows


def test_month_comparison_clips_on_31_march():
    tz = ZoneInfo("Europe/Berlin")
    w = build_windows(period="month", now=datetime(2026, 3, 31, 12, 0, tzinfo=tz), tz=tz)
    assert w.comparison_previous.start == datetime(2026, 2, 1, tzinfo=tz)
    assert w.comparison_previous.end == datetime(2026, 3, 1, tzinfo=tz)
