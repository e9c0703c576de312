"""Photos through the API: the same validator as the page's upload, only the organisation assigned to the
stage may upload, and a row outside the user's scope answers 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiyang.core.photos import MAX_PHOTO_BYTES
from yiyang.renovation.models import LinePhoto, OrgRole, Stage

from .conftest import PNG, basic_items, png

pytestmark = pytest.mark.django_db


def client_for(actor_or_user):
    client = Client()
    client.force_login(getattr(actor_or_user, "user", actor_or_user))
    return client


def upload(client, application, item, stage=Stage.ASSESS, files=None):
    return client.post(f"/api/v1/renovation/applications/{application.pk}/photos",
                       {"item_id": item.pk, "stage": stage, "photos": files if files is not None else [png()]})  # fmt: skip


def test_the_assessor_uploads_assessment_photos_through_the_api(approved, managers):
    item = basic_items(approved)[0]
    answer = upload(client_for(managers[OrgRole.ASSESS]), approved, item, files=[png("a.png"), png("b.png")])
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert len(body["ids"]) == 2
    line = next(line for line in body["application"]["lines"] if line["item_id"] == item.pk)
    assert line["photos"] == {"assess": 2}
    assert set(LinePhoto.objects.values_list("pk", flat=True)) == set(body["ids"])


def test_a_file_that_is_not_a_photo_or_too_large_is_a_422_naming_the_field(approved, managers):
    client = client_for(managers[OrgRole.ASSESS])
    item = basic_items(approved)[0]
    fake = SimpleUploadedFile("plan.png", b"<script>alert(1)</script>", content_type="image/png")
    refused = upload(client, approved, item, files=[fake])
    assert refused.status_code == 422 and "不是 JPEG、PNG 或 WebP" in refused.json()["fields"]["photos"]
    large = SimpleUploadedFile("big.png", PNG + b"\0" * MAX_PHOTO_BYTES, content_type="image/png")
    refused = upload(client, approved, item, files=[large])
    assert refused.status_code == 422 and "超过 5 MB" in refused.json()["fields"]["photos"]
    assert upload(client, approved, item, files=[]).status_code == 422
    assert not LinePhoto.objects.exists()


def test_only_the_organisation_of_the_stage_uploads(approved, managers, officer):
    item = basic_items(approved)[0]
    assert upload(client_for(managers[OrgRole.CONSTRUCT]), approved, item).status_code == 403
    # Before photos wait for the confirmed plan.
    assert upload(client_for(managers[OrgRole.CONSTRUCT]), approved, item, Stage.BEFORE).status_code == 409
    assert not LinePhoto.objects.exists()


def test_a_neighbour_gets_404_and_nothing_is_stored(approved, managers, neighbour_officer, make_user):
    from yiyang.core.roles import Role
    from yiyang.providers.models import Provider

    item = basic_items(approved)[0]
    other = Provider.objects.create(name="邻县评估所", region_code="411003001000", county_code="411003",
                                    service_regions=["411003000000"])  # fmt: skip
    stranger = make_user(Role.PROVIDER_MANAGER, region_code=other.region_code, scope_id=other.pk)
    for user in (neighbour_officer, stranger):
        assert upload(client_for(user), approved, item).status_code == 404
    assert not LinePhoto.objects.exists()
