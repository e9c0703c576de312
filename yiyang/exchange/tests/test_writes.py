"""Idempotent writes from a facility's software and other platforms: upsert by external id and version,
stale versions are conflicts (409), dry runs write nothing, batches answer per record, and a facility app
can neither read nor write another facility (404)."""

from datetime import date

from django.apps import apps

from yiyang.core.audit import Actor
from yiyang.exchange.models import ExternalRecord
from yiyang.facilities import services as facility_services
from yiyang.facilities.models import Facility, Residence

from .helpers import signed_post

RESIDENCES, BEDS = "/api/v1/exchange/residences", "/api/v1/exchange/beds"


def _stay(elder, facility, version=1, **fields):
    return {"external_id": f"R-{elder.pk}", "version": version, "facility": facility.code,
            "id_number": elder.id_number, "admitted_on": "2026-01-02", "bed_number": "3-201", **fields}  # fmt: skip


def _counts():
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def test_an_admission_is_written_once_and_a_retry_changes_nothing(region_app, elder, facility):
    app, secret = region_app
    first = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility)]})
    assert first.status_code == 200, first.content
    (result,) = first.json()["results"]
    assert result["status"] == "created"
    residence = Residence.objects.get(pk=result["id"])
    assert (residence.facility_id, residence.elder_id, residence.bed_number) == (facility.pk, elder.pk, "3-201")
    before = _counts()
    again = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility)]})
    assert again.json()["results"][0]["status"] == "unchanged"
    after = _counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # Only the request's own bookkeeping: its nonce and its minute of the rate count.
    assert set(changed) <= {"exchange.AppNonce", "exchange.RateWindow"}, changed


def test_a_stale_version_is_a_conflict_not_an_overwrite(region_app, elder, facility):
    app, secret = region_app
    signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility, version=2)]})
    stale = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility, version=1, left_on="2026-02-01")]})
    assert stale.status_code == 409
    assert stale.json()["results"][0]["code"] == "stale_version"
    same_version = signed_post(
        app, secret, RESIDENCES, {"records": [_stay(elder, facility, version=2, left_on="2026-02-01")]}
    )
    assert same_version.status_code == 409
    assert Residence.objects.get(elder=elder).left_on is None
    assert ExternalRecord.objects.get().version == 2


def test_a_newer_version_records_the_discharge(region_app, elder, facility):
    app, secret = region_app
    signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility)]})
    response = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility, 2, left_on="2026-02-01")]})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "updated"
    assert Residence.objects.get(elder=elder).left_on == date(2026, 2, 1)
    changed_bed = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility, 3, bed_number="9-9")]})
    assert changed_bed.status_code == 422 and "bed_number" in changed_bed.json()["results"][0]["fields"]


def test_a_dry_run_answers_per_record_and_writes_nothing(region_app, elder, facility, make_elder):
    app, secret = region_app
    other = make_elder(name="王桂兰")
    before = _counts()
    response = signed_post(app, secret, RESIDENCES, {
        "dry_run": True,
        "records": [_stay(elder, facility), _stay(other, facility), {"external_id": "bad", "version": 0}],
    })  # fmt: skip
    body = response.json()
    assert response.status_code == 422 and body["dry_run"] is True
    assert [r["status"] for r in body["results"]] == ["created", "created", "invalid"]
    after = _counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert set(changed) <= {"exchange.AppNonce", "exchange.RateWindow"}, changed


def test_a_batch_keeps_the_good_records_and_answers_the_most_serious_status(region_app, elder, facility):
    app, secret = region_app
    response = signed_post(app, secret, RESIDENCES, {"records": [
        _stay(elder, facility), {**_stay(elder, facility), "external_id": "R-x", "facility": "no-such-code"},
        {"external_id": "R-y", "version": 1, "facility": facility.code, "id_number": "x" * 18, "admitted_on": "tomorrow"},
    ]})  # fmt: skip
    assert response.status_code == 404
    assert [r["status"] for r in response.json()["results"]] == ["created", "not_found", "invalid"]
    assert Residence.objects.filter(elder=elder, left_on__isnull=True).exists()
    app.refresh_from_db()
    assert app.records_written == 1 and app.records_refused == 2


def test_a_facility_app_cannot_write_another_facility(link, facility, neighbour_facility, make_elder, county_officer):
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    someone = make_elder(name="刘玉珍")
    before = _counts()
    response = signed_post(app, secret, RESIDENCES, {"records": [_stay(someone, neighbour_facility)]})
    assert response.status_code == 404
    assert response.json()["results"][0]["status"] == "not_found"
    beds = signed_post(app, secret, BEDS, {"records": [
        {"external_id": "B", "version": 1, "facility": neighbour_facility.code, "beds_total": 1, "beds_nursing": 0}]})  # fmt: skip
    assert beds.status_code == 404
    assert Facility.objects.get(pk=neighbour_facility.pk).beds_total == 50
    after = _counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert set(changed) <= {"exchange.AppNonce", "exchange.RateWindow", "exchange.AppError"}, changed


def test_a_facility_app_links_its_current_residents_and_records_their_discharge(link, facility, elder, county_officer):
    facility_services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 2))
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    record = {**_stay(elder, facility), "facility": None, "bed_number": ""}
    linked = signed_post(app, secret, RESIDENCES, {"records": [record]})
    assert linked.json()["results"][0]["status"] == "created"
    assert Residence.objects.filter(elder=elder).count() == 1
    left = signed_post(app, secret, RESIDENCES, {"records": [{**record, "version": 2, "left_on": "2026-03-01"}]})
    assert left.status_code == 200, left.content
    assert Residence.objects.get(elder=elder).left_on == date(2026, 3, 1)


def test_a_facility_app_cannot_admit_an_elder_outside_its_facility(link, facility, make_elder):
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    response = signed_post(app, secret, RESIDENCES, {"records": [_stay(make_elder(name="赵兰"), facility)]})
    assert response.status_code == 404
    assert not Residence.objects.exists()


def test_a_facility_app_admits_a_registered_elder_who_shows_the_name_on_the_card(link, facility, make_elder):
    from yiyang.core.models import AuditAction, AuditEntry

    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    newcomer = make_elder(name="阿依古丽·买买提")
    stay = {**_stay(newcomer, facility), "facility": None}
    wrong = signed_post(app, secret, RESIDENCES, {"records": [{**stay, "name": "阿依古丽"}]})
    assert wrong.status_code == 422 and set(wrong.json()["results"][0]["fields"]) == {"name"}
    assert "姓名不符" in wrong.json()["results"][0]["fields"]["name"] and not Residence.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.CREATE_REFUSED, object_repr__contains="姓名不符").exists()
    # The facility's software writes the middle dot its own way.
    admitted = signed_post(app, secret, RESIDENCES, {"records": [{**stay, "name": "阿依古丽•买买提"}]})
    assert admitted.status_code == 200, admitted.content
    residence = Residence.objects.get()
    newcomer.refresh_from_db()
    assert residence.elder_id == newcomer.pk and newcomer.facility_id == facility.pk
    assert newcomer.name == "阿依古丽·买买提", "the register's record is not rewritten by the facility"
    # Now a resident, the facility discharges the elder by the same record.
    left = signed_post(app, secret, RESIDENCES, {"records": [{**stay, "name": "阿依古丽•买买提", "version": 2,
                                                             "left_on": "2026-03-01"}]})  # fmt: skip
    assert left.status_code == 200 and Residence.objects.get().left_on == date(2026, 3, 1)


def test_a_facility_app_registers_and_admits_a_person_on_no_register(link, facility, county_officer):
    from conftest import make_id_number
    from yiyang.elders.models import Elder

    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    number = make_id_number("411002001001", date(1941, 5, 6), "M")
    record = {"external_id": "R-new", "version": 1, "id_number": number, "name": "王德福", "admitted_on": "2026-01-02",
              "phone": "138-3960-1234"}  # fmt: skip
    tried = signed_post(app, secret, RESIDENCES, {"records": [record], "dry_run": True})
    assert tried.json()["results"][0]["status"] == "created" and not Elder.objects.exists()
    bad = signed_post(app, secret, RESIDENCES, {"records": [{**record, "region_code": "411099999999"}]})
    assert bad.status_code == 422 and "region_code" in bad.json()["results"][0]["fields"]
    assert not Elder.objects.exists() and not Residence.objects.exists()
    done = signed_post(app, secret, RESIDENCES, {"records": [record]})
    assert done.status_code == 200, done.content
    elder = Elder.objects.get()
    # Registered by the register's own rules: birth date and sex from the number, the facility's community.
    assert (elder.name, elder.birth_date, elder.sex, elder.region_code) == (
        "王德福",
        date(1941, 5, 6),
        "M",
        "411002001001",
    )
    assert elder.phone == "13839601234" and elder.facility_id == facility.pk
    assert Residence.objects.get().elder_id == elder.pk
    # The county's officers see the newcomer in their register.
    assert Elder.objects.visible_to(county_officer, "view").filter(pk=elder.pk).exists()
    again = signed_post(app, secret, RESIDENCES, {"records": [record]})
    assert again.json()["results"][0]["status"] == "unchanged" and Elder.objects.count() == 1


def test_a_newcomer_already_living_in_another_facility_is_refused(link, facility, neighbour_facility, make_elder,
                                                                   city_officer):  # fmt: skip
    someone = make_elder(name="刘玉珍")
    facility_services.admit(Actor(user=city_officer), neighbour_facility.pk, someone.pk, date(2026, 1, 1))
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    refused = signed_post(app, secret, RESIDENCES, {"records": [{**_stay(someone, facility), "name": "刘玉珍"}]})
    assert refused.status_code == 409 and Residence.objects.count() == 1


def test_beds_are_upserted_with_versions(link, facility):
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    beds = {"external_id": "beds", "version": 1, "beds_total": 120, "beds_nursing": 70}
    assert signed_post(app, secret, BEDS, {"records": [beds]}).status_code == 200
    assert Facility.objects.get(pk=facility.pk).beds_total == 120
    stale = signed_post(app, secret, BEDS, {"records": [{**beds, "beds_total": 5}]})
    assert stale.status_code == 409
    wrong = signed_post(app, secret, BEDS, {"records": [{**beds, "version": 2, "beds_nursing": 500}]})
    assert wrong.status_code == 422 and "beds_nursing" in wrong.json()["results"][0]["fields"]
    assert Facility.objects.get(pk=facility.pk).beds_total == 120


def test_writing_needs_the_write_right(link, elder, facility):
    app, secret = link(write_resources=())
    response = signed_post(app, secret, RESIDENCES, {"records": [_stay(elder, facility)]})
    assert response.status_code == 403 and response.json()["code"] == "scope"
    assert not Residence.objects.exists()


def test_odd_records_are_refused_one_by_one_without_a_server_error(region_app, elder, facility):
    app, secret = region_app
    odd = ["text", 7, None, [], {"external_id": "x" * 65, "version": 1}, {**_stay(elder, facility), "version": 2**70},
           {**_stay(elder, facility), "admitted_on": "2026-02-30"}, {**_stay(elder, facility), "id_number": "１２３"}]  # fmt: skip
    response = signed_post(app, secret, RESIDENCES, {"records": odd})
    assert response.status_code == 422, response.content
    assert [r["status"] for r in response.json()["results"]] == ["invalid"] * len(odd)
    not_a_list = signed_post(app, secret, RESIDENCES, {"records": "all"})
    assert not_a_list.status_code == 422 and not_a_list.json()["code"] == "invalid"
    assert not Residence.objects.exists()


STAFF = "/api/v1/exchange/staff"


def test_a_facility_app_keeps_its_staff_by_external_id_and_version(link, facility, neighbour_facility):
    from yiyang.providers.models import Staff

    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code, write_resources=("staff",))
    carer = {"external_id": "E-7", "version": 1, "name": "孙丽", "role": "carer", "phone": "13700002222",
             "hired_on": "2025-05-01", "is_full_time": False}  # fmt: skip
    created = signed_post(app, secret, STAFF, {"records": [carer]})
    assert created.status_code == 200, created.content
    person = Staff.objects.get(pk=created.json()["results"][0]["id"])
    assert (person.facility_id, person.name, person.is_full_time) == (facility.pk, "孙丽", False)
    assert signed_post(app, secret, STAFF, {"records": [carer]}).json()["results"][0]["status"] == "unchanged"
    # A later version naming only the leaving date keeps everything else as it was.
    left = signed_post(app, secret, STAFF, {"records": [
        {"external_id": "E-7", "version": 2, "name": "孙丽", "role": "carer", "left_on": "2026-02-01"}]})  # fmt: skip
    assert left.status_code == 200, left.content
    person.refresh_from_db()
    assert person.left_on == date(2026, 2, 1) and person.phone == "13700002222" and not person.is_full_time
    stale = signed_post(app, secret, STAFF, {"records": [{**carer, "name": "孙丽丽"}]})
    assert stale.status_code == 409
    elsewhere = signed_post(app, secret, STAFF, {"records": [{**carer, "external_id": "E-8",
                                                             "facility": neighbour_facility.code}]})  # fmt: skip
    assert elsewhere.status_code == 404
    assert not Staff.objects.filter(facility=neighbour_facility).exists()


def test_a_facility_app_presenting_a_name_still_cannot_admit_into_another_facility(link, facility, neighbour_facility,
                                                                                   make_elder):  # fmt: skip
    app, secret = link(name="花园软件", kind="facility", facility_code=facility.code)
    someone = make_elder(name="刘玉珍")
    response = signed_post(
        app, secret, RESIDENCES, {"records": [{**_stay(someone, neighbour_facility), "name": "刘玉珍"}]}
    )
    assert response.status_code == 404 and not Residence.objects.exists()
    someone.refresh_from_db()
    assert someone.facility_id is None
