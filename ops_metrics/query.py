"""The `period` / `include` rules shared by the API and the CLI: pure parsing, no Django request."""
from ops_metrics.constants import ALL_GROUPS, DEFAULT_PERIOD, Period

MAX_VALUE_LENGTH = 200


class InvalidQuery(ValueError):
    """A query parameter that cannot be served, with the values that would have been."""

    def __init__(self, param: str, message: str, valid: list[str]) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.valid = valid


def _check_raw(param: str, values: list[str], valid: list[str]) -> None:
    for value in values:
        if "\x00" in value:
            raise InvalidQuery(param, f"`{param}` must not contain NUL bytes.", valid)
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidQuery(param, f"`{param}` must be at most {MAX_VALUE_LENGTH} characters.", valid)


def _single(param: str, normalised: list, valid: list[str]):
    """The one value a repeated parameter agrees on."""
    if any(value != normalised[0] for value in normalised[1:]):
        raise InvalidQuery(param, f"`{param}` was given more than once with different values.", valid)
    return normalised[0]


def _period(value: str, valid: list[str]) -> str:
    period = value.strip()
    if period not in valid:
        raise InvalidQuery("period", f"Unknown period {period!r}; expected one of: {', '.join(valid)}.", valid)
    return period


def _groups(value: str, valid: list[str]) -> tuple[str, ...]:
    names = {name.strip() for name in value.split(",")} - {""}
    if not names:
        raise InvalidQuery("include", f"`include` must name at least one of: {', '.join(valid)}.", valid)
    unknown = sorted(names - set(valid))
    if unknown:
        raise InvalidQuery(
            "include", f"Unknown metric group {', '.join(map(repr, unknown))}; expected any of: {', '.join(valid)}.",
            valid,
        )
    return tuple(group for group in valid if group in names)


def parse_metrics_query(*, period: list[str], include: list[str]) -> tuple[str, tuple[str, ...]]:
    """(period, groups in canonical order) from the raw, possibly repeated, parameter values; InvalidQuery if bad."""
    periods, groups = list(Period.values), list(ALL_GROUPS)
    _check_raw("period", period, periods)
    _check_raw("include", include, groups)
    chosen_period = _single("period", [_period(v, periods) for v in period], periods) if period else DEFAULT_PERIOD.value
    chosen_groups = _single("include", [_groups(v, groups) for v in include], groups) if include else tuple(groups)
    return chosen_period, chosen_groups
