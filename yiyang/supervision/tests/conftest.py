"""Fixtures of the supervision tests: a checklist, an inspection and its hazard; staff of the 魏都区
facility and of the neighbour's; a facility old enough to be rated."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.supervision.services import inspections

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def checklist(county_officer):
    items = [("fire", "疏散通道畅通"), ("food", "食品留样48小时"), ("video", "监控全覆盖")]
    return inspections.save_checklist(Actor(user=county_officer), "411002000000", "安全检查表", items)


@pytest.fixture
def inspection(county_officer, facility, checklist):
    return inspections.plan_inspection(
        Actor(user=county_officer), facility.pk, checklist.pk, "unannounced", date.today(), "王科长、李干事"
    )


@pytest.fixture
def hazard(county_officer, inspection):
    """The fire item failed: one open hazard on the ledger."""
    results = {"fire-01": "fail", "food-02": "pass", "video-03": "na"}
    findings = {"fire-01": inspections.Finding("二楼疏散通道堆放杂物", "major", "张院长")}
    inspections.record_results(Actor(user=county_officer), inspection.pk, results, findings)
    return inspection.hazards.get()


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
