"""Refused requests: CSRF failures (403), too many fields (400) and server errors (500) answer JSON on /api/ paths
and HTML elsewhere, and each sends config.signals.request_refused (the ops app audits it)."""
import json

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

import config.urls
from staff.factories import UserFactory

REQUEST_ID = "probe-0001-abcd"
TOO_MANY_FIELDS = "&".join(f"f{number}=1" for number in range(1001))


def _boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("a bug")


def _accept_post(request: HttpRequest) -> HttpResponse:
    return HttpResponse("posted")


# This module is also the URLconf of the tests marked with it: the project's URLs plus views that fail on purpose.
handler400 = "config.errors.bad_request"
handler500 = "config.errors.server_error"
urlpatterns = [
    path("api/test/boom", _boom),
    path("test/boom", _boom),
    path("api/test/plain", _accept_post),
    path("", include(config.urls.urlpatterns)),
]


@pytest.fixture
def refusals():
    """The request_refused signals sent during the test, as dicts of their keyword arguments."""
    from config.signals import request_refused

    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    request_refused.connect(receiver)
    yield sent
    request_refused.disconnect(receiver)


@pytest.fixture
def session_client(db) -> Client:
    """A logged-in browser with its CSRF cookie, as a cross-site form would find it."""
    client = Client(enforce_csrf_checks=True, HTTP_X_REQUEST_ID=REQUEST_ID)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    client.get("/api-auth/login/")
    return client


def _signalled(refusals: list[dict]) -> list[tuple[str, int, str]]:
    return [(sent["request"].path, sent["status"], sent["reason"]) for sent in refusals]


def test_a_session_post_without_csrf_token_is_refused_and_signalled_on_a_page(session_client, refusals):
    response = session_client.post("/api-auth/logout/")

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (403, "text/html")
    assert b"CSRF verification failed" in response.content
    assert _signalled(refusals) == [("/api-auth/logout/", 403, "CSRF token missing.")]


@pytest.mark.urls(__name__)
def test_a_session_post_without_csrf_token_answers_json_on_an_api_path(session_client, refusals):
    response = session_client.post("/api/test/plain")

    assert (response.status_code, response["Content-Type"]) == (403, "application/json")
    assert json.loads(response.content) == {"detail": "CSRF Failed: CSRF token missing.", "request_id": REQUEST_ID}
    assert _signalled(refusals) == [("/api/test/plain", 403, "CSRF token missing.")]


def test_a_session_post_without_csrf_token_to_the_api_is_signalled(session_client, refusals):
    response = session_client.post("/api/v1/ops/dashboard/metrics")

    assert response.status_code == 403
    assert json.loads(response.content)["detail"] == "CSRF Failed: CSRF token missing."
    assert _signalled(refusals) == [("/api/v1/ops/dashboard/metrics", 403, "CSRF token missing.")]


def test_a_post_with_its_csrf_token_is_not_signalled(session_client, refusals):
    token = session_client.cookies["csrftoken"].value

    response = session_client.post("/api-auth/logout/", HTTP_X_CSRFTOKEN=token)

    assert response.status_code in (200, 302)
    assert refusals == []


def test_too_many_fields_on_an_api_path_answer_json_naming_the_problem(db, refusals):
    response = Client(HTTP_X_REQUEST_ID=REQUEST_ID).get(f"/api/v1/schema/?{TOO_MANY_FIELDS}")

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert json.loads(response.content) == {
        "detail": "Too many fields in the request (more than DATA_UPLOAD_MAX_NUMBER_FIELDS=1000).",
        "request_id": REQUEST_ID,
    }
    assert _signalled(refusals) == [("/api/v1/schema/", 400, "TooManyFieldsSent")]


def test_too_many_fields_on_a_page_answer_django_s_html_400(db, refusals):
    response = Client().get(f"/admin/login/?{TOO_MANY_FIELDS}")

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (400, "text/html")
    assert _signalled(refusals) == [("/admin/login/", 400, "TooManyFieldsSent")]


@pytest.mark.urls(__name__)
def test_a_server_error_on_an_api_path_answers_json_with_the_request_id(db, refusals):
    response = Client(raise_request_exception=False, HTTP_X_REQUEST_ID=REQUEST_ID).get("/api/test/boom")

    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert json.loads(response.content) == {"detail": "Internal server error.", "request_id": REQUEST_ID}
    assert response["X-Request-ID"] == REQUEST_ID
    assert _signalled(refusals) == [("/api/test/boom", 500, "ValueError")]


@pytest.mark.urls(__name__)
def test_a_server_error_on_a_page_answers_django_s_html_500(db, refusals):
    response = Client(raise_request_exception=False).get("/test/boom")

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (500, "text/html")
    assert _signalled(refusals) == [("/test/boom", 500, "ValueError")]
