"""Institution grading (GB/T 37276-2018): the level at every threshold edge, the workflow, the public
page and reminders, and who may see and do what."""

import copy
import dataclasses
import io
import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.demo import supervision_ratings
from yiyang.facilities.models import Facility, Residence
from yiyang.supervision.models import RatingApplication, RatingStatus, RatingStep
from yiyang.supervision.services import ratings, workforce
from yiyang.supervision.services.workforce import Staffing

from .conftest import assert_locks_only_own_rows, client_for

CONFIG = ratings.DEFAULT_CONFIG
PARTS = {part["code"]: part for part in CONFIG["parts"]}
LEVEL_PERCENT = {1: 40, 2: 50, 3: 60, 4: 80, 5: 90}
LEVEL_TOTAL = {1: 360, 2: 450, 3: 570, 4: 780, 5: 900}
# Staffing that meets every prerequisite of every level, with 200 residents.
AMPLE = Staffing(residents=200, severe_residents=40, moderate_residents=50, carers=10, certified_carers=8, doctors=1,
                 nurses=2, social_workers_full_time=1, social_workers_part_time=1, directors=1, directors_college=1,
                 beds_total=250, beds_occupied=200)  # fmt: skip


def sheet(**part_totals) -> dict:
    """A hand-made sheet: each part's points filled into its items in order, up to each item's max."""
    scores = {}
    for code, part in PARTS.items():
        left = Decimal(str(part_totals.get(code, part["max"])))
        for item in part["items"]:
            given = min(left, Decimal(item["max"]))
            scores[item["code"]] = given
            left -= given
        assert left == 0, "more points than the part holds"
    return scores


def at_percent(percent, **override) -> dict:
    return sheet(**{code: part["max"] * percent // 100 for code, part in PARTS.items()} | override)


def level(scores, staffing=AMPLE, config=CONFIG, **kwargs):
    return ratings.compute_level(config, scores, staffing, **{"has_medical_unit": True, **kwargs}).level


def test_the_default_scheme_adds_up():
    assert ratings.validate_config(CONFIG) == []
    assert [p["max"] for p in CONFIG["parts"]] == [120, 130, 150, 600]
    broken = copy.deepcopy(CONFIG)
    broken["parts"][0]["items"][0]["max"] += 1
    assert any("环境" in problem for problem in ratings.validate_config(broken))


# --- Part shares at every edge -------------------------------------------------------------------


@pytest.mark.parametrize("target", [1, 2, 3, 4, 5])
def test_every_part_exactly_at_the_share_reaches_the_level(target):
    assert level(at_percent(LEVEL_PERCENT[target])) == target


@pytest.mark.parametrize("target", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("part", list(PARTS))
def test_one_point_below_in_any_part_drops_one_level(target, part):
    scores = at_percent(LEVEL_PERCENT[target], **{part: PARTS[part]["max"] * LEVEL_PERCENT[target] // 100 - 1})
    assert level(scores) == target - 1


def test_half_a_point_below_the_share_is_enough_to_fail():
    assert level(at_percent(40, environment=Decimal("47.5"))) == 0


# --- Totals at every edge (part shares switched off, so that the total decides) ------------------


def _totals_only() -> dict:
    config = copy.deepcopy(CONFIG)
    for rules in config["levels"].values():
        rules["min_part_percent"] = 0
    return config


def sheet_with_total(total: int) -> dict:
    """Points given to 服务 first, then 环境, 设施设备, 运营管理."""
    parts, left = {}, total
    for code in ("service", "environment", "equipment", "management"):
        parts[code] = min(left, PARTS[code]["max"])
        left -= parts[code]
    return sheet(**parts)


@pytest.mark.parametrize("target", [1, 2, 3, 4, 5])
def test_total_exactly_at_the_minimum_reaches_the_level_one_point_below_does_not(target):
    config = _totals_only()
    at = sheet_with_total(LEVEL_TOTAL[target])
    assert sum(at.values()) == LEVEL_TOTAL[target]
    assert level(at, config=config) == target
    below = {**at, "S02": at["S02"] - 1}
    assert level(below, config=config) == target - 1


def test_the_changsha_total_of_360_never_decides_because_40_percent_parts_make_400():
    # Documented contradiction: the minimum sheet that meets every 40 % share already totals 400.
    scores = at_percent(40)
    assert sum(scores.values()) == 400 and level(scores) == 1


# --- Prerequisites at every edge (full marks on the sheet) ---------------------------------------

FULL = sheet()


def with_(**changes) -> Staffing:
    return dataclasses.replace(AMPLE, **changes)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, 5),
        # 五级: carers to 重度失能 ≥ 1:4, to 中度失能 ≥ 1:5, certified ≥ 80 %
        ({"severe_residents": 40}, 5),
        ({"severe_residents": 41}, 4),
        ({"moderate_residents": 50}, 5),
        ({"moderate_residents": 51}, 4),
        ({"certified_carers": 8}, 5),
        ({"certified_carers": 7}, 4),
        # 一级 (and so every level): ≥ 1:10, ≥ 1:25, certified ≥ 50 %, occupancy ≥ 50 %
        ({"carers": 4, "certified_carers": 4, "severe_residents": 40, "moderate_residents": 20}, 4),
        ({"carers": 4, "certified_carers": 4, "severe_residents": 41, "moderate_residents": 20}, 0),
        ({"carers": 4, "certified_carers": 4, "severe_residents": 16, "moderate_residents": 100}, 4),
        ({"carers": 4, "certified_carers": 4, "severe_residents": 16, "moderate_residents": 101}, 0),
        ({"certified_carers": 5}, 4),
        ({"certified_carers": 4}, 0),
        ({"carers": 0, "certified_carers": 0, "severe_residents": 0, "moderate_residents": 0}, 0),
        ({"beds_total": 400, "beds_occupied": 200}, 5),
        ({"beds_total": 400, "beds_occupied": 199}, 0),
        ({"beds_total": 0, "beds_occupied": 0}, 0),
        # 五级: directors with 大专 or above
        ({"directors_college": 0}, 4),
        ({"directors": 0, "directors_college": 0}, 4),
        ({"directors": 2, "directors_college": 1}, 4),
        # 五级: per 200 residents 1 doctor, 2 nurses, 1 full-time + 1 part-time social worker
        ({"residents": 201}, 4),
        ({"doctors": 0}, 4),
        ({"nurses": 1}, 4),
        ({"residents": 100, "nurses": 1}, 5),
        ({"social_workers_full_time": 0, "social_workers_part_time": 2}, 4),
        ({"social_workers_full_time": 2, "social_workers_part_time": 0}, 5),
        ({"social_workers_full_time": 1, "social_workers_part_time": 0}, 4),
        ({"residents": 0, "severe_residents": 0, "moderate_residents": 0}, 5),
    ],
)
def test_prerequisites_at_their_edges(changes, expected):
    assert level(FULL, with_(**changes)) == expected


def test_without_an_in_house_medical_unit_the_level_stops_at_four():
    assert level(FULL, has_medical_unit=False) == 4


def test_a_higher_level_needs_the_conditions_of_the_lower_ones():
    # The draft has no occupancy minimum for 五级; a half-empty home still fails 一级 and so every level.
    outcome = ratings.compute_level(CONFIG, FULL, with_(beds_occupied=100, beds_total=250), has_medical_unit=True)
    assert outcome.checks[4].met and not outcome.checks[0].met
    assert outcome.level == 0 and any("入住率" in reason for reason in outcome.checks[0].reasons)


def test_the_level_is_capped_at_the_level_applied_for():
    outcome = ratings.compute_level(CONFIG, FULL, AMPLE, applied_level=3, has_medical_unit=True)
    assert (outcome.reached, outcome.level) == (5, 3)


def test_unscored_items_count_as_zero():
    partial = dict(FULL)
    del partial["S02"]  # 生活照料, 100 points
    outcome = ratings.compute_level(CONFIG, partial, AMPLE, has_medical_unit=True)
    assert outcome.total == 900 and outcome.scored_items == outcome.item_count - 1
    assert outcome.level == 4  # 服务 500/600 = 83 %


@pytest.mark.parametrize("value, reason", [("100.5", "0 到 100"), ("-1", "0 到 100"), ("abc", "数字"),
                                           ("12.3", "0.5"), ("NaN", "0 到 100")])  # fmt: skip
def test_a_score_outside_the_item_is_refused_naming_it(value, reason):
    with pytest.raises(FieldErrors) as refused:
        ratings.clean_scores(CONFIG, {"S02": value, "S01": "40"})
    assert list(refused.value.fields) == ["scores.S02"]
    assert reason in refused.value.fields["scores.S02"] and "生活照料" in refused.value.fields["scores.S02"]


def test_an_unknown_item_is_refused():
    with pytest.raises(FieldErrors) as refused:
        ratings.clean_scores(CONFIG, {"X99": "1"})
    assert "scores.X99" in refused.value.fields


# --- Eligibility ---------------------------------------------------------------------------------


def test_first_application_is_capped_at_level_three(county_officer, rateable):
    actor = Actor(user=county_officer)
    with pytest.raises(FieldErrors) as refused:
        ratings.apply(actor, rateable.pk, 4)
    assert "applied_level" in refused.value.fields
    assert ratings.apply(actor, rateable.pk, 3).is_first_application


def test_a_rated_facility_may_apply_higher(county_officer, rateable):
    Facility.objects.filter(pk=rateable.pk).update(star_rating=3)
    application = ratings.apply(Actor(user=county_officer), rateable.pk, 5)
    assert not application.is_first_application


def test_operating_one_year_exactly_is_enough_one_day_less_is_not(county_officer, facility):
    today = date(2026, 6, 15)
    facility.established_on = date(2025, 6, 16)
    facility.save()
    with pytest.raises(FieldErrors) as refused:
        ratings.apply(Actor(user=county_officer), facility.pk, 1, today=today)
    assert "established_on" in refused.value.fields
    facility.established_on = date(2025, 6, 15)
    facility.save()
    assert ratings.apply(Actor(user=county_officer), facility.pk, 1, today=today).status == RatingStatus.APPLIED


def test_non_institutions_and_unknown_opening_dates_are_refused(county_officer, facility):
    facility.facility_type = "day_care"
    facility.save()
    with pytest.raises(FieldErrors) as refused:
        ratings.apply(Actor(user=county_officer), facility.pk, 1)
    assert {"facility_id", "established_on"} <= set(refused.value.fields)
    assert not RatingApplication.objects.exists()


def test_one_open_application_per_facility(county_officer, rateable):
    actor = Actor(user=county_officer)
    ratings.apply(actor, rateable.pk, 2)
    with pytest.raises(Conflict):
        ratings.apply(actor, rateable.pk, 3)


@pytest.mark.parametrize(
    "flags, field",
    [
        ({"is_registered": False}, "is_registered"),
        ({"penalised_recently": True}, "penalised_recently"),
        ({"on_dishonest_list": True}, "on_dishonest_list"),
    ],
)
def test_exclusions_confirmed_by_the_officer_reject_the_application(county_officer, rateable, flags, field):
    actor = Actor(user=county_officer)
    application = ratings.apply(actor, rateable.pk, 2)
    clean = {"is_registered": True, "penalised_recently": False, "on_dishonest_list": False}
    application = ratings.review(actor, application.pk, **{**clean, **flags}, note="核对备案系统")
    assert application.status == RatingStatus.REJECTED
    step = application.steps.last()
    assert step.action == "rejected" and step.by == county_officer and "核对备案系统" in step.note


# --- The whole workflow --------------------------------------------------------------------------


def _staff_for_level_three(actor, facility, make_elder):
    """Enough staff and residents for 一级 to 四级: 2 certified carers, 10 residents (2 severe)."""
    for index in range(10):
        elder = make_elder()
        elder.capability_level = 3 if index < 2 else 0
        elder.save(update_fields=["capability_level"])
        Residence.objects.create(facility=facility, elder=elder, region_code=facility.region_code,
                                 county_code=facility.county_code, admitted_on=date(2025, 1, 1))  # fmt: skip
    for name in ("甲", "乙"):
        workforce.add_staff(actor, {"facility_id": facility.pk, "name": name, "role": "carer",
                                    "hired_on": date(2023, 1, 1), "trained_junior_standard": True})  # fmt: skip
    Facility.objects.filter(pk=facility.pk).update(beds_occupied=60)


def test_from_application_to_published_stars(county_officer, facility_manager, rateable, make_elder):
    officer = Actor(user=county_officer)
    _staff_for_level_three(officer, rateable, make_elder)
    start = timezone.localdate() - timedelta(days=20)
    application = ratings.apply(Actor(user=facility_manager), rateable.pk, 3, "申请三级", today=start)
    ratings.review(officer, application.pk, is_registered=True, penalised_recently=False, on_dishonest_list=False,
                   today=start)  # fmt: skip
    scores = {code: str(value) for code, value in at_percent(60).items()}
    application = ratings.save_scores(officer, application.pk, scores, today=start + timedelta(days=5))
    assert application.computed_level == 3 and application.status == RatingStatus.SCORED
    with pytest.raises(FieldErrors) as refused:
        ratings.decide(officer, application.pk, 4)
    assert "level" in refused.value.fields
    ratings.decide(officer, application.pk, 3, "同意评为三级", today=start + timedelta(days=8))
    notice_day = start + timedelta(days=9)
    application = ratings.start_notice(officer, application.pk, today=notice_day)
    # A 7-day notice counts its first day: days 9 to 15 inclusive.
    assert (application.notice_starts_on, application.notice_ends_on) == (notice_day, notice_day + timedelta(days=6))
    with pytest.raises(Conflict) as refused:
        ratings.publish(officer, application.pk, today=application.notice_ends_on)
    assert "notice_ends_on" in refused.value.fields
    published = application.notice_ends_on + timedelta(days=1)
    application = ratings.publish(officer, application.pk, today=published)
    rateable.refresh_from_db()
    # Three years exactly: the last valid day is the day before the same date three years on.
    last_day = published.replace(year=published.year + 3) - timedelta(days=1)
    assert (rateable.star_rating, rateable.star_rating_valid_until) == (3, last_day)
    assert application.valid_until == rateable.star_rating_valid_until
    actions = list(application.steps.values_list("action", "by_name"))
    assert [a for a, _ in actions] == ["applied", "accepted", "scored", "decided", "notice", "published"]
    assert actions[0][1] == facility_manager.username and actions[-1][1] == county_officer.username
    step = application.steps.first()
    with pytest.raises(PermissionError):
        step.save()
    with pytest.raises(PermissionError):
        step.delete()
    # Published is final: the machine refuses anything more.
    with pytest.raises(Conflict):
        ratings.withdraw(officer, application.pk)


def test_the_committee_needs_a_complete_sheet_and_reasons(county_officer, rateable):
    officer = Actor(user=county_officer)
    application = ratings.apply(officer, rateable.pk, 3)
    ratings.review(officer, application.pk, is_registered=True, penalised_recently=False, on_dishonest_list=False)
    ratings.save_scores(officer, application.pk, {"S01": "30"})
    with pytest.raises(FieldErrors) as refused:
        ratings.decide(officer, application.pk, 0, "材料不全")
    assert "scores" in refused.value.fields
    ratings.save_scores(officer, application.pk, {c: str(v) for c, v in at_percent(30).items()})
    with pytest.raises(FieldErrors) as refused:
        ratings.decide(officer, application.pk, 0)
    assert "note" in refused.value.fields
    assert ratings.decide(officer, application.pk, 0, "得分未达一级").status == RatingStatus.REJECTED


def test_an_objection_during_the_notice_sends_it_back(county_officer, rateable, make_elder):
    officer = Actor(user=county_officer)
    _staff_for_level_three(officer, rateable, make_elder)
    application = ratings.apply(officer, rateable.pk, 2)
    ratings.review(officer, application.pk, is_registered=True, penalised_recently=False, on_dishonest_list=False)
    ratings.save_scores(officer, application.pk, {c: str(v) for c, v in at_percent(50).items()})
    ratings.decide(officer, application.pk, 2)
    ratings.start_notice(officer, application.pk)
    with pytest.raises(FieldErrors):
        ratings.object_to_notice(officer, application.pk, "")
    application = ratings.object_to_notice(officer, application.pk, "群众反映夜间无人值守")
    assert application.status == RatingStatus.SCORED and application.decided_level is None


def _on_notice(officer, rateable, make_elder, notice_day):
    _staff_for_level_three(officer, rateable, make_elder)
    start = notice_day - timedelta(days=10)
    application = ratings.apply(officer, rateable.pk, 2, today=start)
    ratings.review(officer, application.pk, is_registered=True, penalised_recently=False, on_dishonest_list=False,
                   today=start)  # fmt: skip
    scores = {code: str(value) for code, value in at_percent(50).items()}
    ratings.save_scores(officer, application.pk, scores, today=start)
    ratings.decide(officer, application.pk, 2, today=start)
    return ratings.start_notice(officer, application.pk, today=notice_day)


def test_publishing_waits_until_the_day_after_the_last_notice_day(county_officer, rateable, make_elder):
    officer = Actor(user=county_officer)
    notice_day = date(2026, 3, 2)
    application = _on_notice(officer, rateable, make_elder, notice_day)
    assert application.notice_ends_on == date(2026, 3, 8)  # 2 March + 6: seven days counting both ends
    for day in (notice_day, date(2026, 3, 7), date(2026, 3, 8)):
        assert ratings.notice_running(application, day)
        with pytest.raises(Conflict) as refused:
            ratings.publish(officer, application.pk, today=day)
        assert refused.value.code == "notice_running" and "2026-03-08" in refused.value.message
    assert not ratings.notice_running(application, date(2026, 3, 9))
    application = ratings.publish(officer, application.pk, today=date(2026, 3, 9))
    assert (application.published_on, application.valid_until) == (date(2026, 3, 9), date(2029, 3, 8))


def test_the_publish_button_is_disabled_through_the_last_notice_day(county_officer, rateable, make_elder):
    officer = Actor(user=county_officer)
    today = timezone.localdate()
    application = _on_notice(officer, rateable, make_elder, today - timedelta(days=6))
    assert application.notice_ends_on == today
    page = client_for(county_officer).get(f"/supervision/ratings/{application.pk}/")
    assert page.context["notice_running"] and 'id="publish" disabled' in page.content.decode()


@pytest.mark.parametrize(
    "start, years, last_day",
    [
        (date(2026, 6, 15), 3, date(2029, 6, 14)),
        (date(2026, 1, 1), 3, date(2028, 12, 31)),
        (date(2025, 3, 1), 3, date(2028, 2, 29)),  # into a leap year
        (date(2024, 2, 29), 3, date(2027, 2, 28)),  # from 29 February: to the end of February
        (date(2024, 2, 29), 4, date(2028, 2, 28)),
        (date(2023, 2, 28), 3, date(2026, 2, 27)),
    ],
)
def test_a_validity_lasts_whole_years_to_the_day_before_the_anniversary(start, years, last_day):
    assert ratings.validity_end(start, years) == last_day


@pytest.mark.parametrize("days, last_day", [(1, date(2026, 3, 2)), (7, date(2026, 3, 8)), (30, date(2026, 3, 31))])
def test_a_notice_of_n_days_ends_on_its_nth_day(days, last_day):
    assert ratings.notice_end(date(2026, 3, 2), days) == last_day


def test_transitions_lock_the_application_row_only(county_officer, rateable, make_elder, locked_queries):
    """The scheme row is shared by every application in the province: a transition that locked it (as a
    plain FOR UPDATE over a join does on PostgreSQL) would queue every other transition behind it."""
    officer = Actor(user=county_officer)
    application = _on_notice(officer, rateable, make_elder, timezone.localdate() - timedelta(days=10))
    ratings.publish(officer, application.pk)
    assert any(model is RatingApplication and of == ("self",) for model, of, _ in locked_queries)
    assert_locks_only_own_rows(locked_queries)


def test_a_concurrent_application_is_a_conflict_not_a_server_error(county_officer, rateable, monkeypatch):
    """Two requests both pass the check for an open application before either inserts: the database's
    one-open-application constraint refuses the second, which answers 409 with a Chinese message."""
    actor = Actor(user=county_officer)
    ratings.apply(actor, rateable.pk, 2)
    # The second request's check ran before the first one's row was committed: it saw nothing.
    monkeypatch.setattr(RatingApplication.objects, "filter", lambda *args, **kwargs: RatingApplication.objects.none())
    with pytest.raises(Conflict) as refused:
        ratings.apply(actor, rateable.pk, 3)
    monkeypatch.undo()
    assert refused.value.message == "该机构已有正在办理的等级评定申请" and "facility_id" in refused.value.fields
    assert RatingApplication.objects.count() == 1 and RatingStep.objects.count() == 1


def test_transitions_out_of_order_are_refused(county_officer, rateable):
    officer = Actor(user=county_officer)
    application = ratings.apply(officer, rateable.pk, 2)
    for step in (lambda: ratings.publish(officer, application.pk), lambda: ratings.start_notice(officer, application.pk),
                 lambda: ratings.save_scores(officer, application.pk, {"S01": "1"}),
                 lambda: ratings.decide(officer, application.pk, 1)):  # fmt: skip
        with pytest.raises(Conflict):
            step()
    assert RatingApplication.objects.get().status == RatingStatus.APPLIED
    assert RatingStep.objects.count() == 1


def test_a_facility_manager_applies_and_withdraws_but_cannot_score_or_decide(facility_manager, county_officer,
                                                                            rateable):  # fmt: skip
    manager = Actor(user=facility_manager)
    application = ratings.apply(manager, rateable.pk, 2)
    for step in (
        lambda: ratings.review(manager, application.pk, is_registered=True, penalised_recently=False,
                               on_dishonest_list=False),
        lambda: ratings.save_scores(manager, application.pk, {"S01": "1"}),
        lambda: ratings.decide(manager, application.pk, 1),
        lambda: ratings.publish(manager, application.pk),
    ):  # fmt: skip
        with pytest.raises(PermissionDenied):
            step()
    assert ratings.withdraw(manager, application.pk, "暂缓申请").status == RatingStatus.WITHDRAWN


# --- Validity, reminders and the public page -----------------------------------------------------


def test_expiring_and_expired_ratings(county_officer, facility, neighbour_facility, capsys):
    today = timezone.localdate()
    Facility.objects.filter(pk=facility.pk).update(star_rating=4, star_rating_valid_until=today + timedelta(days=90))
    Facility.objects.filter(pk=neighbour_facility.pk).update(star_rating=2,
                                                             star_rating_valid_until=today - timedelta(days=1))  # fmt: skip
    assert list(ratings.expiring(county_officer)) == [facility]
    assert list(ratings.expiring(county_officer, within_days=89)) == []
    assert list(ratings.expired(county_officer)) == []  # the neighbour's is not the officer's business
    out = io.StringIO()
    call_command("rating_reminders", stdout=out)
    text = out.getvalue()
    assert "花园康养中心" in text and "灵井敬老院" in text and "即将到期 1 家，已过期 1 家" in text
    page = client_for(county_officer).get("/supervision/ratings/expiring/").content.decode()
    assert "花园康养中心" in page and "90 天" in page and "灵井敬老院" not in page


def test_public_page_shows_valid_stars_and_not_expired_ones(client, facility):
    today = timezone.localdate()
    Facility.objects.filter(pk=facility.pk).update(star_rating=4, star_rating_valid_until=today)
    page = client.get(f"/map/facilities/{facility.pk}/").content.decode()
    assert "★★★★ 4 星级" in page and f"有效期至 {today:%Y-%m-%d}" in page
    Facility.objects.filter(pk=facility.pk).update(star_rating_valid_until=today - timedelta(days=1))
    page = client.get(f"/map/facilities/{facility.pk}/").content.decode()
    assert "★★★★" not in page and "到期" in page


# --- API and pages: who may see and do what ------------------------------------------------------


@pytest.fixture
def application(county_officer, rateable):
    return ratings.apply(Actor(user=county_officer), rateable.pk, 2)


ROUTES = [
    ("get", "/api/v1/supervision/ratings/{app}", None),
    ("post", "/api/v1/supervision/ratings/{app}/eligibility",
     {"is_registered": True, "penalised_recently": False, "on_dishonest_list": False}),
    ("put", "/api/v1/supervision/ratings/{app}/scores", {"scores": {"S01": "30"}}),
    ("post", "/api/v1/supervision/ratings/{app}/decision", {"level": 1}),
    ("post", "/api/v1/supervision/ratings/{app}/notice", {}),
    ("post", "/api/v1/supervision/ratings/{app}/objection", {"note": "异议"}),
    ("post", "/api/v1/supervision/ratings/{app}/publish", {}),
    ("post", "/api/v1/supervision/ratings/{app}/withdraw", {}),
    ("post", "/api/v1/supervision/ratings", {"facility_id": "{facility}", "applied_level": 1}),
    ("get", "/supervision/ratings/{app}/", None),
    ("post", "/supervision/ratings/{app}/", {"action": "withdraw"}),
    ("post", "/supervision/ratings/{app}/", {"action": "review", "is_registered": "1"}),
]  # fmt: skip


def _call(user, method, route, body, application):
    url = route.format(app=application.pk)
    client = client_for(user)
    if body is not None:
        body = {k: (application.facility_id if v == "{facility}" else v) for k, v in body.items()}
    if url.startswith("/api/"):
        if body is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, json.dumps(body), content_type="application/json")
    return client.post(url, body) if method == "post" else client.get(url)


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, application, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    response = _call(user, method, route, body, application)
    if user is None:
        assert response.status_code in (401, 302)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404, (who, route, response.status_code)
    application.refresh_from_db()
    assert application.status == RatingStatus.APPLIED and RatingStep.objects.count() == 1
    assert RatingApplication.objects.count() == 1


def test_outsiders_lists_are_empty(neighbour_officer, other_facility_manager, application):
    for user in (neighbour_officer, other_facility_manager):
        assert client_for(user).get("/api/v1/supervision/ratings").json()["count"] == 0
        assert "花园康养中心" not in client_for(user).get("/supervision/ratings/").content.decode()


def test_the_officer_walks_the_api(county_officer, application):
    client = client_for(county_officer)
    base = f"/api/v1/supervision/ratings/{application.pk}"
    assert client.get(base).status_code == 200
    response = client.post(f"{base}/eligibility", json.dumps({"is_registered": True, "penalised_recently": False,
                                                              "on_dishonest_list": False}),
                           content_type="application/json")  # fmt: skip
    assert response.json()["status"] == "accepted"
    response = client.put(f"{base}/scores", json.dumps({"scores": {"S02": 101, "E01": -1}}),
                          content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and set(response.json()["fields"]) == {"scores.S02", "scores.E01"}
    assert RatingApplication.objects.get().scores == {}
    response = client.put(f"{base}/scores", json.dumps({"scores": {"S02": 80.5}}), content_type="application/json")
    assert response.status_code == 200 and response.json()["scores"] == {"S02": "80.5"}
    assert response.json()["result"]["total"] == "80.5"
    response = client.post(f"{base}/publish", "{}", content_type="application/json")
    assert response.status_code == 409
    assert client.get("/api/v1/supervision/rating-scheme").json()["standard_code"] == "GB/T 37276-2018"
    assert client.get("/api/v1/supervision/ratings/expiring").status_code == 200


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("get", "/api/v1/supervision/ratings/99999999999999999999", None),
        ("post", "/api/v1/supervision/ratings/99999999999999999999/withdraw", {}),
        ("put", "/api/v1/supervision/ratings/9223372036854775808/scores", {"scores": {}}),
        ("get", "/api/v1/supervision/ratings?facility_id=99999999999999999999", None),
        ("post", "/api/v1/supervision/ratings", {"facility_id": 99999999999999999999, "applied_level": 1}),
    ],
)
def test_ids_beyond_the_database_range_are_refused_as_input(county_officer, method, url, body):
    client = client_for(county_officer)
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422, (url, response.status_code, response.content[:300])
    assert not RatingApplication.objects.exists()


def test_the_manager_reads_own_application_and_may_not_score(facility_manager, application):
    client = client_for(facility_manager)
    assert client.get(f"/api/v1/supervision/ratings/{application.pk}").status_code == 200
    response = client.put(f"/api/v1/supervision/ratings/{application.pk}/scores",
                          json.dumps({"scores": {"S01": "30"}}), content_type="application/json")  # fmt: skip
    assert response.status_code == 403
    page = client.get(f"/supervision/ratings/{application.pk}/")
    assert page.status_code == 200 and not page.context["actions"]["review"] and page.context["actions"]["withdraw"]
    assert client.post(f"/supervision/ratings/{application.pk}/", {"action": "review"}).status_code == 403


def test_the_scoring_sheet_page_saves_and_shows_the_level(county_officer, application, make_elder):
    officer = Actor(user=county_officer)
    _staff_for_level_three(officer, application.facility, make_elder)
    ratings.review(officer, application.pk, is_registered=True, penalised_recently=False, on_dishonest_list=False)
    client = client_for(county_officer)
    url = f"/supervision/ratings/{application.pk}/"
    posted = {"action": "score", **{f"score-{c}": str(v) for c, v in at_percent(50).items()}}
    response = client.post(url, {**posted, "score-S02": "120"})
    assert response.status_code == 200 and "“生活照料”的得分应在 0 到 100 分之间" in response.content.decode()
    assert RatingApplication.objects.get().status == RatingStatus.ACCEPTED
    assert client.post(url, posted).status_code == 302
    page = client.get(url).content.decode()
    assert "二级" in page and 'id="computed-level"' in page
    assert client.post(url, {"action": "decide", "level": "2"}).status_code == 302
    assert RatingApplication.objects.get().status == RatingStatus.DECIDED


def test_the_manager_applies_from_the_page(facility_manager, rateable):
    client = client_for(facility_manager)
    form = client.get("/supervision/ratings/").context["form"]
    assert list(form.fields["facility"].queryset) == [rateable]
    response = client.post("/supervision/ratings/", {"facility": rateable.pk, "applied_level": 4})
    assert response.status_code == 200 and "首次申请最高只能申请三级" in response.content.decode()
    response = client.post("/supervision/ratings/", {"facility": rateable.pk, "applied_level": 3})
    assert response.status_code == 302 and RatingApplication.objects.get().applied_level == 3


# --- Demo ----------------------------------------------------------------------------------------


def test_demo_builds_staff_training_and_ratings_in_every_state(county_officer, rateable, make_elder, make_user):
    for _ in range(6):
        elder = make_elder()
        Residence.objects.create(facility=rateable, elder=elder, region_code=rateable.region_code,
                                 county_code=rateable.county_code, admitted_on=date(2025, 1, 1))  # fmt: skip
    for n in range(4):
        Facility.objects.create(code=f"411002-01{n}", name=f"演示养老院{n}", facility_type="institution",
                                operation_model="private", region_code="411002002001", county_code="411002",
                                address="南关", beds_total=80, beds_occupied=50,
                                established_on=date(2019, 1, 1))  # fmt: skip
    staff, applications = supervision_ratings.build(random.Random(5), county="411002000000", officer=county_officer)
    assert staff > 0 and applications >= 4
    statuses = set(RatingApplication.objects.values_list("status", flat=True))
    # The first facility opened too recently for a rating three years ago; the others walk on.
    assert {RatingStatus.PUBLISHED, RatingStatus.NOTICE, RatingStatus.SCORED} <= statuses, statuses
    published = RatingApplication.objects.filter(status=RatingStatus.PUBLISHED)
    for application in published:
        assert application.facility.star_rating == application.decided_level
        assert application.facility.star_rating_valid_until == application.valid_until
    # Every step of the demo happened today or before, and every notice is as long as the scheme says.
    today = timezone.localdate()
    assert max(timezone.localtime(at).date() for at in RatingStep.objects.values_list("at", flat=True)) <= today
    created = RatingApplication.objects.values_list("created_at", flat=True)
    assert max(timezone.localtime(at).date() for at in created) <= today
    notice_days = ratings.default_scheme().config["notice_days"]
    for application in RatingApplication.objects.exclude(notice_starts_on=None):
        assert application.notice_starts_on <= today
        assert application.notice_ends_on == application.notice_starts_on + timedelta(days=notice_days - 1)
        if application.status == RatingStatus.PUBLISHED:
            assert application.notice_ends_on < application.published_on <= today
        else:
            assert ratings.notice_running(application, today)
