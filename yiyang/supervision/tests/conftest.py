"""Fixtures of the workforce and ratings tests: staff of the 魏都区 facility and of the neighbour's."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor


@pytest.fixture
def officer_actor(county_officer):
    return Actor(user=county_officer)


@pytest.fixture
def carer(county_officer, facility):
    from yiyang.supervision.services import workforce

    return workforce.add_staff(
        Actor(user=county_officer),
        {"facility_id": facility.pk, "name": "刘桂兰", "role": "carer", "phone": "13912345678",
         "hired_on": date(2022, 3, 1)},
    )  # fmt: skip


@pytest.fixture
def neighbour_carer(neighbour_officer, neighbour_facility):
    from yiyang.supervision.services import workforce

    return workforce.add_staff(
        Actor(user=neighbour_officer),
        {"facility_id": neighbour_facility.pk, "name": "霍秀英", "role": "carer", "hired_on": date(2021, 5, 1)},
    )


@pytest.fixture
def rateable(facility):
    """The 魏都区 facility, operating for three years."""
    facility.established_on = timezone.localdate() - timedelta(days=3 * 366)
    facility.save(update_fields=["established_on"])
    return facility


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
