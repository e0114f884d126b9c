"""The `staff` parameter of /metrics and /timeseries: validation, cache keys, invalidation when staff are deleted."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bookings.factories import BookingFactory
from complaints.factories import ComplaintFactory
from ops_metrics.models import OpsAuditLog
from ops_metrics.web.params import STAFF_FORMATS
from staff.factories import StaffFactory

METRICS, TIMESERIES = "/api/v1/ops/dashboard/metrics", "/api/v1/ops/dashboard/timeseries"
THIS_MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("UTC"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(frozen):
    """Avery has two bookings and a complaint, Blake one booking; one booking and one complaint are unassigned."""
    avery, blake = StaffFactory(name="Avery"), StaffFactory(name="Blake")
    for staff in (avery, avery, blake, None):
        BookingFactory(assigned_staff=staff, created_at=THIS_MORNING)
    ComplaintFactory(assigned_to=avery, created_at=THIS_MORNING)
    ComplaintFactory(assigned_to=None, created_at=THIS_MORNING)
    return {"avery": avery, "blake": blake}


@pytest.mark.parametrize("value", ["abc", "1,,2", "0", "-1", "1;2", "none,x", "NONE", "12345678901234567890", "9999999"])
@pytest.mark.parametrize("url", [METRICS, TIMESERIES])
def test_a_malformed_staff_or_an_id_of_no_staff_member_is_400_naming_staff(reader_client_api, team, url, value):
    response = reader_client_api.get(url, {"staff": value})

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["staff"]
    assert body["valid"]["staff"] == STAFF_FORMATS
    assert OpsAuditLog.objects.get().action.endswith("_denied")


def test_repeated_staff_values_that_disagree_are_400(reader_client_api, team):
    response = reader_client_api.get(f"{METRICS}?staff={team['avery'].pk}&staff={team['blake'].pk}")

    assert response.status_code == 400
    assert "more than once" in response.json()["errors"]["staff"][0]


def test_filtered_figures_and_their_own_cache_entries(reader_client_api, team):
    avery, blake = team["avery"].pk, team["blake"].pk

    def totals(**query) -> tuple[int, int]:
        response = reader_client_api.get(METRICS, {"period": "today", "include": "bookings,complaints", **query})
        assert response.status_code == 200
        body = response.json()
        return body["bookings"]["total"], body["complaints"]["total"]

    assert totals() == (4, 2)
    assert totals(staff=str(avery)) == (2, 1)
    assert totals(staff=f" {blake} , none ") == (2, 1)
    assert totals(staff=f"none,{blake}") == (2, 1)  # the same filter spelled differently
    assert totals(staff="none") == (1, 1)
    assert totals(staff="") == (4, 2)  # empty counts as absent
    assert totals() == (4, 2)  # the unfiltered answer was not overwritten by a filtered one


def test_same_filter_is_a_cache_hit(reader_client_api, team):
    query = {"period": "today", "staff": f"{team['avery'].pk},none"}
    first = reader_client_api.get(METRICS, query)
    second = reader_client_api.get(METRICS, {**query, "staff": f"none,{team['avery'].pk}"})

    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first["ETag"] == second["ETag"]


def test_deleting_a_staff_member_moves_the_unassigned_counts_at_once(
    reader_client_api, team, django_capture_on_commit_callbacks
):
    def unassigned() -> int:
        return reader_client_api.get(METRICS, {"staff": "none", "include": "bookings"}).json()["bookings"]["total"]

    assert unassigned() == 1
    with django_capture_on_commit_callbacks(execute=True):
        team["avery"].delete()  # ON DELETE SET NULL: no signal for the two bookings it unassigns

    assert unassigned() == 3


def test_timeseries_filtered_sums(reader_client_api, team):
    query = {"period": "today", "metrics": "bookings_created,complaints_created", "staff": str(team["avery"].pk)}
    series = reader_client_api.get(TIMESERIES, query).json()["series"]

    assert (sum(series["bookings_created"]), sum(series["complaints_created"])) == (2, 1)
