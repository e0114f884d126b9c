"""Metric engines: each turns windows into exact totals (`totals.py`); `scan` reads raw rows and is the reference."""
