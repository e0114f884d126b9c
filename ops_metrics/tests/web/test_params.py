"""parse_metrics_query: the period / include rules shared by the API and the CLI."""
import pytest

from ops_metrics.constants import ALL_GROUPS
from ops_metrics.web.params import InvalidQuery, parse_metrics_query


@pytest.mark.parametrize(
    ("period", "include", "expected"),
    [
        ([], [], ("all", ALL_GROUPS)),
        (["week"], [], ("week", ALL_GROUPS)),
        ([" today "], ["sla"], ("today", ("sla",))),
        (["month"], ["realtime, sla ,bookings"], ("month", ("bookings", "sla", "realtime"))),  # canonical order
        (["all"], ["sla,sla,,revenue,"], ("all", ("sla", "revenue"))),  # duplicates and empty pieces dropped
        (["week", "week"], ["sla,bookings", "bookings, sla"], ("week", ("bookings", "sla"))),  # equal repeats
        ([""], ["sla"], ("all", ("sla",))),  # an empty parameter counts as absent
        (["", "week"], [], ("week", ALL_GROUPS)),
    ],
)
def test_valid_queries(period, include, expected):
    assert parse_metrics_query(period=period, include=include) == expected


@pytest.mark.parametrize(
    ("period", "include", "param", "message"),
    [
        (["year"], [], "period", "Unknown period 'year'; expected one of: today, week, month, all."),
        (["Week"], [], "period", "Unknown period 'Week'; expected one of: today, week, month, all."),
        (["week", "month"], [], "period", "`period` was given more than once with different values."),
        ([], [""], "include", "`include` must name at least one of: bookings, complaints, sla, revenue, realtime."),
        ([], [" , "], "include", "`include` must name at least one of: bookings, complaints, sla, revenue, realtime."),
        (
            [], ["sla,profit,loss"], "include",
            "Unknown metric group 'loss', 'profit'; expected any of: bookings, complaints, sla, revenue, realtime.",
        ),
        ([], ["sla", "bookings"], "include", "`include` was given more than once with different values."),
        (["week\x00"], [], "period", "`period` must not contain NUL bytes."),
        ([], ["sla\x00"], "include", "`include` must not contain NUL bytes."),
        ([], ["sla," * 67], "include", "`include` must be at most 200 characters."),
        (["w" * 201], [], "period", "`period` must be at most 200 characters."),
    ],
)
def test_invalid_queries_name_the_parameter(period, include, param, message):
    with pytest.raises(InvalidQuery) as excinfo:
        parse_metrics_query(period=period, include=include)
    assert (excinfo.value.param, excinfo.value.message, str(excinfo.value)) == (param, message, message)


def test_a_value_of_exactly_200_characters_is_allowed():
    include = "sla," * 48 + "bookings"
    assert len(include) == 200
    assert parse_metrics_query(period=[], include=[include])[1] == ("bookings", "sla")
