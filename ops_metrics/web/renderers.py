"""CSV renderers of the dashboard payloads (`Accept: text/csv` or `?format=csv`), and lenient `format` negotiation."""
import csv
import io
import re
from collections.abc import Iterable, Iterator

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class LenientFormatNegotiation(DefaultContentNegotiation):
    """An unknown `format` is ignored like any unknown query parameter (the Accept header decides), not a 404."""

    def filter_renderers(self, renderers: list, format: str) -> list:
        return [renderer for renderer in renderers if renderer.format == format] or renderers


def _flatten(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(dotted column, value) pairs of nested maps and lists, in payload order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}.{index}")
    elif isinstance(value, list):
        yield prefix, ";".join("" if item is None else str(item) for item in value)
    else:
        yield prefix, value


# Spreadsheets run a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number ("-12.50": money is encoded as text) is a value to a spreadsheet, never a formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value: object) -> object:
    """A value as every CSV of the app writes it: blank for null, JSON booleans, numbers as they are, and text that a
    spreadsheet would run (starting with = + - @ TAB or CR, unless a plain decimal number) behind a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def write_csv(header: list[str], rows: list[list[object]]) -> bytes:
    """The one CSV writer of the project: UTF-8, CRLF, header row first, every cell through `_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(column) for column in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def csv_stream(header: list[str], rows: Iterable[list[object]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV of `rows` as encoded chunks of `rows_per_chunk` rows, produced as the iterable is consumed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(column) for column in header])
    for number, row in enumerate(rows, 1):
        writer.writerow([csv_cell(value) for value in row])
        if number % rows_per_chunk == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _filename(kind: str, data: dict) -> str:
    window = data.get("window") or {}
    dates = [str(bound)[:10] for bound in (window.get("start"), window.get("end")) if bound]
    parts = ["ops", kind, str(data.get("period", "")), *dates, data.get("interval", "")]
    return "-".join(part for part in parts if part) + ".csv"


class _PayloadCSVRenderer(BaseRenderer):
    """A payload as CSV; error bodies as one flattened row; an attachment file name on 200 responses."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    kind = "metrics"

    def table(self, data: dict) -> tuple[list[str], list[list[object]]]:
        pairs = list(_flatten(data))
        return [column for column, _ in pairs], [[value for _, value in pairs]]

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:  # 304
            return b""
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 200 and "window" in data:
            header, rows = self.table(data)
            response["Content-Disposition"] = f'attachment; filename="{_filename(self.kind, data)}"'
        else:
            header, rows = _PayloadCSVRenderer.table(self, data)
        return write_csv(header, rows)


class MetricsCSVRenderer(_PayloadCSVRenderer):
    """The metrics payload as one row with a `group.field` column per figure (nested maps flattened)."""


class RecordsCSVRenderer(_PayloadCSVRenderer):
    """Negotiates CSV for the records endpoint; 200 bodies are streamed by the view, so this renders error bodies."""

    kind = "records"


class StaffCSVRenderer(_PayloadCSVRenderer):
    """Per-staff performance as one row per staff member (staff as id and name columns)."""

    kind = "staff"

    def table(self, data: dict) -> tuple[list[str], list[list[object]]]:
        rows = data["rows"]
        columns = [key for key in (rows[0] if rows else {}) if key != "staff"]
        header = ["staff_id", "staff_name", *columns]
        return header, [
            [(row["staff"] or {}).get("id"), (row["staff"] or {}).get("name"), *(row[key] for key in columns)]
            for row in rows
        ]


class TimeseriesCSVRenderer(_PayloadCSVRenderer):
    """A time series as one row per bucket: start, end, one column per metric (previous buckets after, if any)."""

    kind = "timeseries"

    @staticmethod
    def _rows(label: str | None, part: dict, end: object) -> list[list[object]]:
        starts = part["buckets"]
        ends = [*starts[1:], end]
        columns = list(part["series"].values())
        return [
            [*([label] if label else []), start, stop, *(values[i] for values in columns)]
            for i, (start, stop) in enumerate(zip(starts, ends, strict=True))
        ]

    def table(self, data: dict) -> tuple[list[str], list[list[object]]]:
        metrics = list(data["series"])
        previous = data.get("previous")
        if previous is None:
            return ["start", "end", *metrics], self._rows(None, data, data["window"]["end"])
        rows = self._rows("current", data, data["window"]["end"])
        rows += self._rows("previous", previous, previous["window"]["end"])
        return ["window", "start", "end", *metrics], rows
