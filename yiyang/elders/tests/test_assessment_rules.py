"""GB/T 42195-2022 capability assessment: tables and C.3–C.5 rules, checked against docs/standards.md §1."""

import dataclasses

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from yiyang.core.errors import FieldErrors
from yiyang.elders import assessment
from yiyang.elders.assessment import evaluate, preliminary_level

# docs/standards.md §1.1, written out again so that a slip in the module's table fails here.
STANDARD_ITEMS = [
    ("B.1.1", "进食", 4),
    ("B.1.2", "修饰", 4),
    ("B.1.3", "洗澡", 4),
    ("B.1.4", "穿/脱上衣", 4),
    ("B.1.5", "穿/脱裤子和鞋袜", 4),
    ("B.1.6", "小便控制", 4),
    ("B.1.7", "大便控制", 4),
    ("B.1.8", "如厕", 4),
    ("B.2.1", "床上体位转移", 4),
    ("B.2.2", "床椅转移", 4),
    ("B.2.3", "平地行走", 4),
    ("B.2.4", "上下楼梯", 3),
    ("B.3.1", "时间定向", 4),
    ("B.3.2", "空间定向", 4),
    ("B.3.3", "人物定向", 4),
    ("B.3.4", "记忆", 4),
    ("B.3.5", "理解能力", 4),
    ("B.3.6", "表达能力", 4),
    ("B.3.7", "攻击行为", 1),
    ("B.3.8", "抑郁症状", 1),
    ("B.3.9", "意识水平", 2),
    ("B.4.1", "视力", 2),
    ("B.4.2", "听力", 2),
    ("B.4.3", "执行日常事务", 4),
    ("B.4.4", "使用交通工具外出", 3),
    ("B.4.5", "社会交往能力", 4),
]
MAX = {code: top for code, _, top in STANDARD_ITEMS}
LABEL = {code: label for code, label, _ in STANDARD_ITEMS}
DIMENSION_OF = {"B.1": "self_care", "B.2": "mobility", "B.3": "mental", "B.4": "perception"}


def full_marks() -> dict[str, int]:
    return dict(MAX)


def scores_with_total(total: int) -> dict[str, int]:
    """A valid score sheet adding up to `total`, conscious (B.3.9 ≥ 1) whenever total ≥ 1."""
    scores = dict.fromkeys(MAX, 0)
    left = total
    if left:
        scores["B.3.9"], left = 1, left - 1
    for code in MAX:
        give = min(MAX[code] - scores[code], left)
        scores[code] += give
        left -= give
    assert left == 0
    return scores


def level_of(total: int, **kwargs) -> assessment.Evaluation:
    return evaluate(scores_with_total(total), stacking=kwargs.pop("stacking", "single"), **kwargs)


def rules(result) -> list[str]:
    return [change["rule"] for change in result.level_changes]


def field_errors(**kwargs) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        evaluate(**kwargs)
    return caught.value.fields


# Tables


def test_item_table_matches_the_standard():
    assert [(i.code, i.label, i.max_score) for i in assessment.ITEMS] == STANDARD_ITEMS
    assert all(i.dimension == DIMENSION_OF[i.code[:3]] for i in assessment.ITEMS)


def test_dimension_maxima_are_32_15_28_15_and_sum_to_90():
    maxima = {d.key: sum(i.max_score for i in d.items) for d in assessment.DIMENSIONS}
    assert maxima == {"self_care": 32, "mobility": 15, "mental": 28, "perception": 15}
    assert sum(maxima.values()) == 90
    assert [d.label for d in assessment.DIMENSIONS] == ["自理能力", "基础运动能力", "精神状态", "感知觉与社会参与"]
    assert [len(d.items) for d in assessment.DIMENSIONS] == [8, 4, 9, 5]


def test_level_labels_and_risk_events_follow_the_standard():
    assert assessment.LEVEL_LABELS == {
        0: "能力完好",
        1: "能力轻度受损（轻度失能）",
        2: "能力中度受损（中度失能）",
        3: "能力重度受损（重度失能）",
        4: "能力完全丧失（完全失能）",
    }
    assert [label for _, label in assessment.RISK_EVENTS] == ["跌倒", "噎食", "自杀/自伤", "走失", "其他"]
    assert assessment.STANDARD in assessment.STANDARDS


# C.3 preliminary level

BOUNDARIES = [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)]


@pytest.mark.parametrize(("total", "level"), BOUNDARIES)
def test_preliminary_level_at_every_band_boundary(total, level):
    assert preliminary_level(total) == level
    result = level_of(total)
    assert (result.total, result.preliminary_level) == (total, level)


@pytest.mark.parametrize("total", [-1, 91])
def test_total_outside_the_scale_has_no_level(total):
    with pytest.raises(ValueError):
        preliminary_level(total)


def test_full_marks_is_intact_with_dimension_scores():
    result = evaluate(full_marks(), stacking="single")
    assert (result.self_care, result.mobility, result.mental, result.perception) == (32, 15, 28, 15)
    assert (result.total, result.preliminary_level, result.final_level, result.level_changes) == (90, 0, 0, [])


# C.4 level changes, each rule alone


def test_coma_flag_makes_the_final_level_complete_loss():
    result = level_of(90, coma=True)
    assert (result.preliminary_level, result.final_level, rules(result)) == (0, 4, ["coma"])


def test_consciousness_score_zero_counts_as_coma():
    result = evaluate({**full_marks(), "B.3.9": 0}, stacking="single")
    assert (result.total, result.preliminary_level, result.final_level, rules(result)) == (88, 1, 4, ["coma"])


def test_drowsy_is_not_coma():
    result = evaluate({**full_marks(), "B.3.9": 1}, stacking="single")
    assert (result.preliminary_level, result.final_level, result.level_changes) == (1, 1, [])


@pytest.mark.parametrize("diagnosis", [{"dementia": True}, {"mental_disorder": True}])
def test_dementia_or_mental_disorder_raises_one_level(diagnosis):
    result = level_of(70, **diagnosis)
    assert (result.preliminary_level, result.final_level, rules(result)) == (1, 2, ["diagnosis"])


@pytest.mark.parametrize("stacking", ["single", "each"])
def test_dementia_with_mental_disorder_is_one_rule(stacking):
    result = level_of(70, dementia=True, mental_disorder=True, stacking=stacking)
    assert (result.final_level, rules(result)) == (2, ["diagnosis"])
    assert "F00–F03" in result.level_changes[0]["label"] and "F04–F99" in result.level_changes[0]["label"]


@pytest.mark.parametrize(
    "events",
    [{"fall": 1, "choking": 1}, {"wandering": 2}, {"self_harm": 3}, {"other": 1, "fall": 1}],
)
def test_two_or_more_risk_events_raise_one_level(events):
    result = level_of(50, risk_events=events)
    assert (result.preliminary_level, result.final_level, rules(result)) == (2, 3, ["risk_events"])


def test_risk_event_label_marks_three_as_three_or_more():
    result = level_of(50, risk_events={"self_harm": 3})
    assert "自杀/自伤 3 次及以上" in result.level_changes[0]["label"]


@pytest.mark.parametrize("events", [{}, {"fall": 1}, {"fall": 0, "choking": 1, "other": 0}])
def test_fewer_than_two_risk_events_change_nothing(events):
    result = level_of(50, risk_events=events)
    assert (result.final_level, result.level_changes) == (2, [])


# Stacking and the cap


def test_single_stacking_raises_at_most_one_level_but_records_both_reasons():
    result = level_of(70, dementia=True, risk_events={"fall": 2}, stacking="single")
    assert (result.preliminary_level, result.final_level) == (1, 2)
    assert rules(result) == ["diagnosis", "risk_events"]


def test_each_stacking_raises_one_level_per_rule():
    result = level_of(70, dementia=True, risk_events={"fall": 2}, stacking="each")
    assert (result.preliminary_level, result.final_level) == (1, 3)
    assert rules(result) == ["diagnosis", "risk_events"]


def test_raises_stop_at_complete_loss():
    result = level_of(40, mental_disorder=True, risk_events={"choking": 3}, stacking="each")
    assert (result.preliminary_level, result.final_level) == (3, 4)
    result = level_of(20, dementia=True)
    assert (result.preliminary_level, result.final_level, rules(result)) == (4, 4, ["diagnosis"])


def test_coma_with_other_rules_is_complete_loss_and_keeps_every_reason():
    result = level_of(90, coma=True, dementia=True, risk_events={"fall": 2}, stacking="each")
    assert (result.final_level, rules(result)) == (4, ["coma", "diagnosis", "risk_events"])


def test_default_stacking_comes_from_settings():
    kwargs = {"dementia": True, "risk_events": {"fall": 2}}
    with override_settings(ASSESSMENT_RAISE_STACKING="each"):
        assert evaluate(scores_with_total(70), **kwargs).final_level == 3
    with override_settings(ASSESSMENT_RAISE_STACKING="single"):
        assert evaluate(scores_with_total(70), **kwargs).final_level == 2


def test_unknown_stacking_mode_is_refused():
    assert "stacking" in field_errors(scores=full_marks(), stacking="twice")


# Validation


def test_out_of_range_message_names_item_and_range():
    assert field_errors(scores={**full_marks(), "B.2.4": 4}, stacking="single") == {
        "B.2.4": "上下楼梯：应为 0–3 的整数，收到 4"
    }


def test_every_out_of_range_item_is_named_at_once():
    errors = field_errors(scores={code: top + 1 for code, top in MAX.items()}, stacking="single")
    assert set(errors) == set(MAX)
    for code, message in errors.items():
        assert message == f"{LABEL[code]}：应为 0–{MAX[code]} 的整数，收到 {MAX[code] + 1}"


@pytest.mark.parametrize("code", list(MAX))
def test_negative_score_is_refused_for_each_item(code):
    assert set(field_errors(scores={**full_marks(), code: -1}, stacking="single")) == {code}


def test_missing_items_are_each_reported():
    errors = field_errors(scores={}, stacking="single")
    assert set(errors) == set(MAX)
    assert all("缺少该项评分" in message for message in errors.values())
    assert set(field_errors(scores={**full_marks(), "B.1.1": ""}, stacking="single")) == {"B.1.1"}


def test_unknown_item_code_is_refused():
    assert field_errors(scores={**full_marks(), "B.5.1": 2}, stacking="single") == {"B.5.1": "未知的评估项目"}


@pytest.mark.parametrize("value", [True, False, 2.0, "2.0", "abc", "", [2], "３"])
def test_non_integer_scores_are_refused(value):
    assert "B.1.1" in field_errors(scores={**full_marks(), "B.1.1": value}, stacking="single")


def test_form_strings_of_digits_are_accepted():
    form = {code: str(top) for code, top in MAX.items()} | {"B.1.1": " 3 "}
    result = evaluate(form, risk_events={"fall": "1", "choking": "1"}, stacking="single")
    assert (result.total, result.self_care, result.final_level) == (89, 31, 2)


@pytest.mark.parametrize(
    ("events", "field"),
    [({"flood": 1}, "risk_events.flood"), ({"fall": 4}, "risk_events.fall"), ({"fall": -1}, "risk_events.fall")],
)
def test_bad_risk_events_are_refused(events, field):
    assert set(field_errors(scores=full_marks(), risk_events=events, stacking="single")) == {field}


def test_all_problems_are_collected_in_one_error():
    scores = {**full_marks(), "B.2.4": 4, "B.9.9": 1}
    del scores["B.1.1"]
    errors = field_errors(scores=scores, risk_events={"fall": 5}, stacking="sometimes")
    assert set(errors) == {"B.1.1", "B.2.4", "B.9.9", "risk_events.fall", "stacking"}


def test_unknown_standard_is_refused():
    assert "standard" in field_errors(scores=full_marks(), stacking="single", standard="MZ/T 000-2099")


# Configuration by standard code


def test_a_local_variant_with_its_own_bands_can_be_registered(monkeypatch):
    local = dataclasses.replace(
        assessment.STANDARDS[assessment.STANDARD],
        code="本地变体-2025",
        bands=((0, 88, 90), (1, 66, 87), (2, 46, 65), (3, 30, 45), (4, 0, 29)),
    )
    monkeypatch.setitem(assessment.STANDARDS, local.code, local)
    assert preliminary_level(88, standard=local.code) == 0
    assert preliminary_level(88) == 1


def test_bands_with_a_gap_are_rejected():
    with pytest.raises(ValueError):
        dataclasses.replace(
            assessment.STANDARDS[assessment.STANDARD], bands=((0, 90, 90), (1, 66, 89), (2, 46, 64), (3, 0, 45))
        )


# Properties

valid_scores = st.fixed_dictionaries({code: st.integers(0, top) for code, top in MAX.items()})
risk_counts = st.fixed_dictionaries({key: st.integers(0, 3) for key, _ in assessment.RISK_EVENTS})


@given(valid_scores)
def test_total_is_the_sum_of_items_and_of_dimensions(scores):
    result = evaluate(scores, stacking="single")
    assert result.total == sum(scores.values())
    assert result.total == result.self_care + result.mobility + result.mental + result.perception
    assert result.self_care == sum(v for code, v in scores.items() if code.startswith("B.1."))
    assert result.preliminary_level == preliminary_level(result.total)


@given(st.integers(0, 90), st.integers(0, 90))
def test_preliminary_level_never_rises_as_the_total_rises(a, b):
    low, high = sorted((a, b))
    assert preliminary_level(low) >= preliminary_level(high)


@given(
    valid_scores,
    risk_counts,
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["single", "each"]),
)
def test_final_level_is_never_below_preliminary_and_never_above_four(
    scores, events, coma, dementia, mental_disorder, stacking
):
    result = evaluate(
        scores, risk_events=events, coma=coma, dementia=dementia, mental_disorder=mental_disorder, stacking=stacking
    )
    assert result.preliminary_level <= result.final_level <= 4
    if not result.level_changes:
        assert result.final_level == result.preliminary_level
