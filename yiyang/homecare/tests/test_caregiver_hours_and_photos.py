"""Caregivers' working hours and areas steer dispatch; their trainings are recorded; the service record
takes photos on check-out that only the order's own people can open."""

import json
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders.models import Elder
from yiyang.homecare import services
from yiyang.homecare.models import OrderPhoto, OrderStatus
from yiyang.providers import services as provider_services
from yiyang.providers.models import Staff

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def next_weekday_at(weekday: int, hour: int) -> datetime:
    """The next given weekday (1 = Monday) at the hour, local time, at least a day ahead."""
    day = timezone.localdate() + timedelta(days=1)
    while day.isoweekday() != weekday:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def weekday_carer(provider):
    """Works Monday to Friday, 08:00 to 17:00, in 花园社区 only; nearer than the all-hours caregiver."""
    return Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="白班", phone="2", skill_level=3,
                                    lat=34.03, lng=113.85, work_days=[1, 2, 3, 4, 5], work_start=time(8),
                                    work_end=time(17), work_regions=["411002001001"])  # fmt: skip


@pytest.fixture
def book_at(elder, family, bath):
    Elder.objects.filter(pk=elder.pk).update(lat=34.03, lng=113.85)

    def _book(moment):
        return services.book(Actor(user=family), elder.pk, bath.pk, moment)

    return _book


@pytest.mark.parametrize(
    "moment, expected",
    [((1, 9), "白班"), ((1, 18), "刘护理"), ((6, 9), "刘护理")],
    ids=["monday-morning", "monday-evening", "saturday"],
)
def test_auto_dispatch_respects_working_days_and_hours(book_at, caregiver, weekday_carer, county_officer, moment,
                                                       expected):  # fmt: skip
    Staff.objects.filter(pk=caregiver.pk).update(lat=34.2, lng=113.85)  # farther, but works any time
    order = book_at(next_weekday_at(*moment))
    order = services.auto_dispatch(Actor(user=county_officer), order.pk)
    assert order.caregiver.name == expected


def test_a_slot_running_past_the_end_of_the_shift_goes_to_someone_else(book_at, caregiver, weekday_carer,
                                                                        county_officer):  # fmt: skip
    Staff.objects.filter(pk=caregiver.pk).update(lat=34.2, lng=113.85)
    order = book_at(next_weekday_at(1, 16) + timedelta(minutes=30))  # 16:30 + 60 minutes of bathing > 17:00
    assert services.auto_dispatch(Actor(user=county_officer), order.pk).caregiver.name == "刘护理"


def test_auto_dispatch_respects_the_working_area(book_at, weekday_carer, county_officer, elder):
    Elder.objects.filter(pk=elder.pk).update(region_code="411002001002")  # 春晖社区, outside 白班's area
    order = book_at(next_weekday_at(1, 9))
    with pytest.raises(Conflict):
        services.auto_dispatch(Actor(user=county_officer), order.pk)


def test_manual_dispatch_outside_working_hours_is_refused(book_at, provider, weekday_carer, county_officer,
                                                          provider_manager):  # fmt: skip
    order = book_at(next_weekday_at(6, 9))
    services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    services.respond(Actor(user=provider_manager), order.pk, True)
    with pytest.raises(FieldErrors) as exc:
        services.dispatch(Actor(user=provider_manager), order.pk, weekday_carer.pk)
    assert "工作时间或工作区域" in exc.value.fields["caregiver_id"]


@pytest.mark.parametrize(
    "data, field",
    [({"work_start": "09:00"}, "work_end"), ({"work_start": "18:00", "work_end": "08:00"}, "work_end"),
     ({"work_days": [0, 8]}, "work_days"), ({"work_regions": ["411003000000"]}, "work_regions"),
     ({"work_start": "9点"}, "work_start")],
)  # fmt: skip
def test_bad_working_hours_are_refused_naming_the_field(provider_manager, provider, data, field):
    with pytest.raises(FieldErrors) as exc:
        provider_services.save_caregiver(
            Actor(user=provider_manager), provider.pk, {"name": "新人", "phone": "13900002222", **data}
        )
    assert field in exc.value.fields


def test_trainings_are_recorded_and_summed_on_the_provider_page(provider_manager, provider, caregiver):
    provider_services.add_caregiver_training(Actor(user=provider_manager), caregiver.pk,
                          {"topic": "失能老人照护", "trained_on": "2026-03-02", "hours": "16"})  # fmt: skip
    client = client_for(provider_manager)
    response = client.post(f"/homecare/providers/{provider.pk}/", {
        "caregiver": caregiver.pk, "topic": "急救技能", "trained_on": "2026-04-01", "hours": "8.5"})  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/homecare/providers/{provider.pk}/").content.decode()
    assert "24.5" in page
    body = client.get(f"/api/v1/homecare/caregivers/{caregiver.pk}/trainings").json()
    assert sorted(t["topic"] for t in body) == ["失能老人照护", "急救技能"]


def test_bad_trainings_are_refused(provider_manager, caregiver):
    with pytest.raises(FieldErrors) as exc:
        provider_services.add_caregiver_training(Actor(user=provider_manager), caregiver.pk,
                              {"topic": "", "trained_on": "2099-01-01", "hours": "0"})  # fmt: skip
    assert set(exc.value.fields) == {"topic", "trained_on", "hours"}


def test_a_caregiver_cannot_record_trainings_and_outsiders_cannot_see_them(caregiver_user, neighbour_officer,
                                                                           caregiver):  # fmt: skip
    with pytest.raises(PermissionDenied):
        provider_services.add_caregiver_training(Actor(user=caregiver_user), caregiver.pk,
                              {"topic": "x", "trained_on": "2026-01-01", "hours": 1})  # fmt: skip
    response = client_for(neighbour_officer).post(
        f"/api/v1/homecare/caregivers/{caregiver.pk}/trainings",
        json.dumps({"topic": "x", "trained_on": "2026-01-01", "hours": 1}), content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 404
    assert client_for(neighbour_officer).get(f"/api/v1/homecare/caregivers/{caregiver.pk}/trainings").status_code == 404


# --- Photos of the service record -------------------------------------------------------------------


@pytest.fixture
def in_service(book_at, provider, caregiver, county_officer, provider_manager, caregiver_user):
    order = book_at(timezone.now() + timedelta(hours=2))
    services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    services.respond(Actor(user=provider_manager), order.pk, True)
    services.dispatch(Actor(user=provider_manager), order.pk, caregiver.pk)
    services.check_in(Actor(user=caregiver_user), order.pk, 34.03, 113.85)
    return order


def test_check_out_takes_photos_on_the_phone_page(in_service, caregiver_user, family, neighbour_officer):
    response = client_for(caregiver_user).post(f"/homecare/orders/{in_service.pk}/check_out/",
                                               {"record": "协助洗浴", "photos": [png(), png("b.png")]})  # fmt: skip
    assert response.status_code == 302
    in_service.refresh_from_db()
    assert in_service.status == OrderStatus.COMPLETED and in_service.photos.count() == 2
    photo = in_service.photos.first()
    assert client_for(family).get(f"/homecare/photos/{photo.pk}/").status_code == 200
    assert client_for(neighbour_officer).get(f"/homecare/photos/{photo.pk}/").status_code == 404
    assert "服务照片" not in client_for(neighbour_officer).get(f"/homecare/orders/{in_service.pk}/").content.decode()


def test_a_file_that_is_not_a_photo_stops_the_check_out(in_service, caregiver_user):
    fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    with pytest.raises(FieldErrors):
        services.check_out(Actor(user=caregiver_user), in_service.pk, "记录", [fake])
    in_service.refresh_from_db()
    assert in_service.status == OrderStatus.IN_SERVICE and not OrderPhoto.objects.exists()


def test_photos_can_be_added_until_the_order_is_rated(in_service, caregiver_user, family, neighbour_officer):
    services.check_out(Actor(user=caregiver_user), in_service.pk, "记录")
    response = client_for(caregiver_user).post(f"/api/v1/homecare/orders/{in_service.pk}/photos", {"photos": [png()]})
    assert response.status_code == 200 and OrderPhoto.objects.count() == 1
    assert client_for(neighbour_officer).post(f"/api/v1/homecare/orders/{in_service.pk}/photos",
                                              {"photos": [png()]}).status_code == 404  # fmt: skip
    with pytest.raises(Http404):  # the family may see, not add
        services.add_photos(Actor(user=family), in_service.pk, [png()])
    services.rate(Actor(user=family), in_service.pk, 5)
    with pytest.raises(Conflict):
        services.add_photos(Actor(user=caregiver_user), in_service.pk, [png()])


# --- The elder's or family's confirmation ---------------------------------------------------------


def test_the_caregiver_confirms_on_site_with_the_last_digits_of_a_registered_phone(in_service, caregiver_user):
    client = client_for(caregiver_user)
    client.post(f"/homecare/orders/{in_service.pk}/check_out/", {"record": "协助洗浴", "code": "0000"})
    in_service.refresh_from_db()
    assert in_service.status == OrderStatus.COMPLETED and in_service.confirmed_at is None  # wrong code
    with pytest.raises(FieldErrors) as exc:
        services.confirm(Actor(user=caregiver_user), in_service.pk, "")
    assert "code" in exc.value.fields
    client.post(f"/homecare/orders/{in_service.pk}/confirm/", {"code": "1111"})  # the elder's 13800001111
    in_service.refresh_from_db()
    assert in_service.confirmed_by == "on_site" and in_service.confirmed_at is not None


def test_the_family_confirms_on_their_phone_and_rating_confirms_too(in_service, caregiver_user, family, make_elder):
    with pytest.raises(Conflict):  # not done yet
        services.confirm(Actor(user=family), in_service.pk)
    services.check_out(Actor(user=caregiver_user), in_service.pk, "记录")
    response = client_for(family).post(f"/api/v1/homecare/orders/{in_service.pk}/confirm", json.dumps({}),
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["confirmed_by"] == "family"
    first = response.json()["confirmed_at"]
    services.rate(Actor(user=family), in_service.pk, 5)
    in_service.refresh_from_db()
    assert in_service.confirmed_at.isoformat().startswith(first[:19])  # confirmed once, kept


def test_outsiders_cannot_confirm(in_service, caregiver_user, neighbour_officer, county_officer):
    services.check_out(Actor(user=caregiver_user), in_service.pk, "记录")
    response = client_for(neighbour_officer).post(f"/api/v1/homecare/orders/{in_service.pk}/confirm",
                                                  json.dumps({"code": "1111"}), content_type="application/json")  # fmt: skip
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):  # the dispatcher sees the order but is neither family nor carer
        services.confirm(Actor(user=county_officer), in_service.pk, "1111")
    in_service.refresh_from_db()
    assert in_service.confirmed_at is None


def test_outsiders_cannot_change_a_caregiver(caregiver, neighbour_officer, other_provider, make_user):
    from yiyang.core.roles import Role

    other_manager = make_user(Role.PROVIDER_MANAGER, region_code=other_provider.region_code, scope_id=other_provider.pk)
    body = json.dumps({"name": "改名", "phone": "13900009999"})
    for user in (neighbour_officer, other_manager):
        response = client_for(user).put(f"/api/v1/homecare/caregivers/{caregiver.pk}", body,
                                        content_type="application/json")  # fmt: skip
        assert response.status_code == 404
    caregiver.refresh_from_db()
    assert caregiver.name == "刘护理"
