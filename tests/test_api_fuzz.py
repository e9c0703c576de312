"""Property-based tests of the whole REST API from its OpenAPI schema (schemathesis): whatever the
generated input, an authenticated county officer never gets a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from yiyang.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_test_connection():
    """Calls through the WSGI app end with Django closing the database connection, which would close
    the test's transaction on PostgreSQL; Django's own test client detaches that handler the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(county_officer, elder, facility, keep_test_connection):
    from yiyang.accounts.services import create_token
    from yiyang.core.audit import Actor

    return create_token(Actor(user=county_officer), "fuzz")[1]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_the_server_fail(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[schemathesis.checks.not_a_server_error]
    )
