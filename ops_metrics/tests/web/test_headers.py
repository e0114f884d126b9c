"""Caching headers: revenue is never stored, each representation (JSON, browsable HTML, CSV) has its own ETag."""
import pytest

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/ops/dashboard/metrics"
SERIES = "/api/v1/ops/dashboard/timeseries"
JSON, HTML, CSV = "application/json", "text/html", "text/csv"


def _directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize("path", [METRICS, SERIES])
def test_every_representation_has_its_own_etag_and_304(admin_client_api, frozen, path):
    etags = {accept: admin_client_api.get(path, {"period": "week"}, HTTP_ACCEPT=accept)["ETag"]
             for accept in (JSON, HTML, CSV)}

    assert len(set(etags.values())) == 3
    for sent in (JSON, HTML, CSV):
        for accept in (JSON, HTML, CSV):
            response = admin_client_api.get(path, {"period": "week"}, HTTP_ACCEPT=accept,
                                            HTTP_IF_NONE_MATCH=etags[sent])
            assert response.status_code == (304 if sent == accept else 200), (sent, accept)
            assert response["ETag"] == etags[accept]


def test_if_none_match_lists_weak_tags_and_star(admin_client_api, frozen):
    etag = admin_client_api.get(METRICS, {"period": "week"})["ETag"]

    assert admin_client_api.get(METRICS, {"period": "week"}, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert admin_client_api.get(METRICS, {"period": "week"}, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert admin_client_api.get(METRICS, {"period": "week"}, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [(METRICS, {}), (METRICS, {"include": "revenue"}), (SERIES, {"period": "week"}),
     (SERIES, {"period": "week", "metrics": "revenue", "format": "csv"})],
)
def test_revenue_is_never_stored(admin_client_api, frozen, path, query):
    first = admin_client_api.get(path, query)
    unchanged = admin_client_api.get(path, query, HTTP_IF_NONE_MATCH=first["ETag"])

    assert unchanged.status_code == 304
    for response in (first, unchanged):
        assert {"no-store", "private"} <= _directives(response)
        assert "no-cache" not in _directives(response)


@pytest.mark.parametrize(
    ("client", "path", "query"),
    [("reader_client_api", METRICS, {}), ("reader_client_api", SERIES, {"period": "week"}),
     ("reader_client_api", SERIES, {"period": "week", "metrics": "revenue,bookings_created"}),
     ("admin_client_api", METRICS, {"include": "bookings"}),
     ("admin_client_api", SERIES, {"period": "week", "metrics": "bookings_created"})],
)
def test_bodies_without_revenue_may_be_kept_and_revalidated(request, frozen, client, path, query):
    response = request.getfixturevalue(client).get(path, query)

    assert {"private", "no-cache"} <= _directives(response)
    assert "no-store" not in _directives(response)


@pytest.mark.parametrize("path", [METRICS, SERIES])
def test_an_unknown_format_is_ignored_never_a_404(admin_client_api, frozen, path):
    as_json = admin_client_api.get(path, {"period": "week"})
    unknown = admin_client_api.get(path, {"period": "week", "format": "xml"})
    unknown_csv = admin_client_api.get(path, {"period": "week", "format": "xml"}, HTTP_ACCEPT=CSV)

    assert (unknown.status_code, unknown["ETag"]) == (200, as_json["ETag"])
    assert (unknown_csv.status_code, unknown_csv["Content-Type"]) == (200, "text/csv; charset=utf-8")
