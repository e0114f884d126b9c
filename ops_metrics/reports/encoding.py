"""The client representation of a payload: plain JSON types, as the API, the CLI and the cache hold it."""
from datetime import datetime
from decimal import Decimal
from typing import Any


def _render(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _render(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_render(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")  # amounts are quantized to cents before they get here
    if isinstance(value, datetime):
        text = value.isoformat()  # with the value's own offset, so window bounds read in the business timezone
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, str):
        return str(value)  # choices are str subclasses; the cache stores builtins only
    return value


def render_payload(payload: dict) -> dict:
    """Decimals as strings with their places, datetimes as ISO 8601 with offset (UTC as `Z`), enums as plain str."""
    return _render(payload)
