"""The OpenAPI contract: generated without warnings, and as precise as a generated client needs."""
import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

# The contract's literal values (docs/api.md), not the constants the schema is built from, so a drifting constant fails here.
PERIODS = ["today", "week", "month", "all"]
GROUPS = ["bookings", "complaints", "sla", "revenue", "realtime"]
BOOKING_STATUSES = ["pending", "confirmed", "in_progress", "completed", "cancelled"]
PRIORITIES = ["low", "medium", "high", "critical"]
COMPLAINT_STATUSES = ["open", "in_progress", "resolved", "closed", "escalated"]
SERIES = [
    "bookings_created", "revenue", "complaints_created", "complaints_resolved", "sla_compliance_rate",
    "avg_response_hours", "avg_resolution_hours", "avg_response_business_hours", "avg_resolution_business_hours",
]

PATH = "/api/v1/ops/dashboard/metrics"
TIMESERIES_PATH = "/api/v1/ops/dashboard/timeseries"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def components(schema) -> dict:
    return schema["components"]["schemas"]


def _ref(prop: dict) -> str:
    """The component a property points at (drf-spectacular wraps described references in allOf)."""
    return (prop["allOf"][0] if "allOf" in prop else prop)["$ref"].rsplit("/", 1)[-1]


def test_generation_validates_with_zero_warnings(tmp_path):
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert PATH in yaml.safe_load(out.read_text())["paths"]


def test_the_operations_are_published_without_trailing_slash(schema):
    assert [path for path in schema["paths"] if "dashboard" in path] == [
        PATH, "/api/v1/ops/dashboard/records", "/api/v1/ops/dashboard/staff", TIMESERIES_PATH,
    ]


def test_parameters(schema):
    parameters = {p["name"]: p for p in schema["paths"][PATH]["get"]["parameters"]}

    assert set(parameters["period"]["schema"]["enum"]) == set(PERIODS)
    assert parameters["period"]["schema"]["default"] == "all"
    include = parameters["include"]
    assert (include["style"], include["explode"]) == ("form", False)
    assert include["schema"]["items"]["enum"] == GROUPS
    assert include["schema"]["minItems"] == 1


def test_responses_and_security(schema):
    operation = schema["paths"][PATH]["get"]

    assert set(operation["responses"]) == {"200", "304", "400", "401", "403", "429"}
    assert _ref(operation["responses"]["200"]["content"]["application/json"]["schema"]) == "DashboardMetricsResponse"
    assert _ref(operation["responses"]["400"]["content"]["application/json"]["schema"]) == "QueryErrorResponse"
    for code in ("401", "403", "429"):
        assert _ref(operation["responses"][code]["content"]["application/json"]["schema"]) == "ErrorDetail"
    assert "content" not in operation["responses"]["304"]
    assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    schemes = schema["components"]["securitySchemes"]
    assert (schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == ("header", "Authorization")
    assert (schemes["cookieAuth"]["in"], schemes["cookieAuth"]["name"]) == ("cookie", "sessionid")


@pytest.mark.parametrize(
    ("component", "choices", "item_type"),
    [
        ("BookingStatusCounts", BOOKING_STATUSES, "integer"),
        ("BookingStatusAmounts", BOOKING_STATUSES, "string"),
        ("ComplaintPriorityCounts", PRIORITIES, "integer"),
        ("ComplaintStatusCounts", COMPLAINT_STATUSES, "integer"),
        ("SLAPriorityCounts", PRIORITIES, None),
    ],
)
def test_count_maps_have_one_required_property_per_choice(components, component, choices, item_type):
    schema = components[component]

    assert list(schema["properties"]) == choices
    assert sorted(schema["required"]) == sorted(choices)
    for prop in schema["properties"].values():
        if item_type:
            assert prop["type"] == item_type
        else:
            assert _ref(prop) == "SLACounts"
        assert prop["description"]


def test_money_is_a_decimal_string(components):
    revenue = components["RevenueMetrics"]["properties"]

    for name in ("total", "today", "week", "month", "average_order_value", "previous"):
        assert (revenue[name]["type"], revenue[name]["format"]) == ("string", "decimal"), name
    assert components["BookingStatusAmounts"]["properties"]["pending"]["format"] == "decimal"


@pytest.mark.parametrize(
    ("component", "nullable"),
    [
        ("BookingsMetrics", {"growth_rate"}),
        ("ComplaintsMetrics", {"avg_resolution_hours"}),
        ("SLAMetrics", {"compliance_rate", "avg_response_hours", "avg_resolution_hours", "avg_response_business_hours",
                        "avg_resolution_business_hours"}),
        ("RevenueMetrics", {"average_order_value", "growth_rate"}),
        ("Window", {"start"}),
        ("BoundedWindow", set()),
        ("RealtimeMetrics", set()),
        ("StaffWorkload", set()),
    ],
)
def test_exactly_the_nullable_fields_are_nullable(components, component, nullable):
    properties = components[component]["properties"]

    assert {name for name, prop in properties.items() if prop.get("nullable")} == nullable
    assert sorted(components[component]["required"]) == sorted(properties)


def test_every_field_is_described(components):
    for name, component in components.items():
        for field, prop in component.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field}"


def test_response_envelope(components):
    response = components["DashboardMetricsResponse"]

    assert set(response["required"]) == {"period", "timezone", "window", "comparison", "generated_at", "redacted"}
    assert set(GROUPS) <= set(response["properties"])
    assert _ref(response["properties"]["period"]) == "ReportedPeriodEnum"
    assert components["ReportedPeriodEnum"]["enum"] == [*PERIODS, "custom"]
    assert components["PeriodEnum"]["enum"] == PERIODS
    assert components["RedactedEnum"]["enum"] == ["revenue"]
    assert response["properties"]["generated_at"]["format"] == "date-time"


def test_error_component(components):
    error = components["QueryErrorResponse"]

    assert set(error["required"]) == {"detail", "errors", "valid"}
    assert set(components["QueryErrors"]["properties"]) == {"period", "include", "start", "end", "staff"}
    assert components["MetricGroupEnum"]["enum"] == GROUPS


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/schema/swagger-ui/", "/api/v1/schema/redoc/"])
def test_schema_and_docs_are_served(client, path):
    response = client.get(path)

    assert response.status_code == 200


@pytest.mark.django_db
def test_docs_load_their_assets_from_the_sidecar_not_a_cdn(client):
    swagger = client.get("/api/v1/schema/swagger-ui/").content.decode()
    redoc = client.get("/api/v1/schema/redoc/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in swagger
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc
    assert "cdn.jsdelivr.net" not in swagger + redoc


def test_timeseries_operation(schema, components):
    operation = schema["paths"][TIMESERIES_PATH]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert set(parameters) == {
        "metrics", "period", "start", "end", "interval", "compare", "staff", "format", "If-None-Match",
    }
    assert parameters["metrics"]["schema"]["items"]["enum"] == SERIES
    assert set(parameters["interval"]["schema"]["enum"]) == {"hour", "day", "week", "month"}
    assert set(operation["responses"]) == {"200", "304", "400", "401", "403", "429"}
    ok = operation["responses"]["200"]["content"]
    assert _ref(ok["application/json"]["schema"]) == "TimeseriesResponse"
    assert ok["text/csv"]["schema"]["type"] == "string"
    error = operation["responses"]["400"]["content"]["application/json"]["schema"]
    assert _ref(error) == "TimeseriesQueryErrorResponse"
    series = components["SeriesValues"]["properties"]
    assert list(series) == SERIES
    assert series["sla_compliance_rate"]["items"]["nullable"] is True
    assert set(components["TimeseriesResponse"]["required"]) == {
        "period", "interval", "timezone", "window", "generated_at", "buckets", "series", "redacted"
    }
