"""Recording capability assessments: the level, the history, the current level, bad items refused."""

import json
from datetime import date

import pytest
from django.test import Client

from conftest import full_scores
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.elders import services
from yiyang.elders.models import Assessment


def record(user, elder, assessed_on="2026-02-01", **overrides):
    data = {
        "assessed_on": assessed_on,
        "assessor_1": "李评估",
        "assessor_2": "王评估",
        "scores": full_scores(),
        **overrides,
    }
    return services.record_assessment(Actor(user=user), elder.pk, data)


def test_newest_assessment_sets_the_current_level_and_older_ones_stay_history(county_officer, elder):
    record(county_officer, elder, "2026-02-01", scores=full_scores(lambda item: item.max_score // 2))
    elder.refresh_from_db()
    assert elder.capability_level == 3  # 42 points: 重度失能
    assert elder.assessment_due == date(2027, 2, 1)
    record(county_officer, elder, "2025-06-01")  # entered late, older: history only
    elder.refresh_from_db()
    assert elder.capability_level == 3 and elder.assessed_on == date(2026, 2, 1)
    assert Assessment.objects.filter(elder=elder).count() == 2


def test_dementia_raises_the_level_and_the_reason_is_stored(county_officer, elder):
    result = record(county_officer, elder, dementia=True)
    assert (result.preliminary_level, result.final_level) == (0, 1)
    assert result.level_changes[0]["rule"] == "diagnosis"


def test_invalid_item_scores_are_refused_naming_each_item(county_officer, elder):
    scores = {**full_scores(), "B.2.4": 4, "B.3.7": 2}
    scores.pop("B.1.1")
    with pytest.raises(FieldErrors) as caught:
        record(county_officer, elder, scores=scores, assessor_2="李评估")
    assert {"scores.B.2.4", "scores.B.3.7", "scores.B.1.1", "assessor_2"} <= set(caught.value.fields)
    assert "上下楼梯" in caught.value.fields["scores.B.2.4"]
    assert not Assessment.objects.exists()


def test_future_date_is_refused(county_officer, elder):
    with pytest.raises(FieldErrors) as caught:
        record(county_officer, elder, assessed_on="2099-01-01")
    assert "assessed_on" in caught.value.fields


def test_api_refuses_bad_item_with_its_code_in_the_error_format(county_officer, elder):
    client = Client()
    client.force_login(county_officer)
    body = {
        "assessed_on": "2026-01-05",
        "assessor_1": "甲",
        "assessor_2": "乙",
        "scores": {**full_scores(), "B.4.1": 3},
    }
    response = client.post(f"/api/v1/elders/{elder.pk}/assessments", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "scores.B.4.1" in response.json()["fields"]
    body["scores"]["B.4.1"] = 2
    response = client.post(f"/api/v1/elders/{elder.pk}/assessments", json.dumps(body), content_type="application/json")
    assert response.status_code == 201 and response.json()["final_level"] == 0
    assert client.get(f"/api/v1/elders/{elder.pk}").json()["capability_level"] == 0


def test_assessment_page_shows_item_errors_on_the_item(county_officer, elder):
    client = Client()
    client.force_login(county_officer)
    form = {f"item_{code}": str(score) for code, score in full_scores().items()}
    form.update(assessed_on="2026-01-05", reason="routine", assessor_1="甲", assessor_2="甲")
    for key in ("fall", "choking", "self_harm", "wandering", "other"):
        form[f"risk_{key}"] = "0"
    response = client.post(f"/elders/{elder.pk}/assess/", form)
    assert response.status_code == 200
    assert "两名评估员不能是同一人" in response.content.decode()
    form["assessor_2"] = "乙"
    assert client.post(f"/elders/{elder.pk}/assess/", form).status_code == 302
    assert Assessment.objects.get().total == 90


def test_viewer_cannot_record_assessment(regions, make_user, elder):
    viewer = make_user("viewer", region_code="411002000000")
    client = Client()
    client.force_login(viewer)
    assert client.get(f"/elders/{elder.pk}/assess/").status_code == 404


def test_the_form_shows_what_each_score_means_and_a_running_total(county_officer, elder):
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/elders/{elder.pk}/assess/").content.decode()
    assert "4 分 · 独立完成" in page and "0 分 · 鼻饲，或吞咽困难" in page
    assert 'id="live-total">0 / 90<' in page and "还有 26 项未填" in page

    # While filling in: subtotals so far, nothing saved.
    partial = {"preview": "1", "item_B.1.1": "4", "item_B.1.2": "3", "item_B.3.9": "x"}
    fragment = client.post(f"/elders/{elder.pk}/assess/", partial, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="live-total">7 / 90<' in fragment and "还有 24 项未填" in fragment
    assert "live-level" not in fragment and Assessment.objects.count() == 0

    # Complete: the levels of the one rules module, raised by a diagnosis, and still nothing saved.
    form = {"preview": "1", "dementia": "on", **{f"item_{code}": str(s) for code, s in full_scores().items()}}
    form["item_B.2.4"] = "0"  # total 87: level 1, raised to 2 by the diagnosis
    fragment = client.post(f"/elders/{elder.pk}/assess/", form).content.decode()
    assert 'id="live-total">87 / 90<' in fragment
    assert "初步 1 级，最终 <strong>2 级 能力中度受损（中度失能）" in fragment and "痴呆" in fragment
    assert Assessment.objects.count() == 0


def test_progress_agrees_with_evaluate_once_complete():
    from yiyang.elders.assessment import evaluate, progress

    scores = {code: max(0, s - 1) for code, s in full_scores().items()}
    done = progress({code: str(s) for code, s in scores.items()}, risk_events={"fall": "2"})
    direct = evaluate(scores, risk_events={"fall": 2})
    assert done.missing == 0 and done.evaluation == direct and done.total == direct.total
    scores.pop("B.4.5")
    assert progress(scores).evaluation is None and progress(scores).missing == 1
