"""Older-adult capability assessment (GB/T 42195-2022 老年人能力评估规范), as pure rules.

Items, score bands and risk events are data in a `StandardConfig` registered under its standard code,
because local civil-affairs bureaus publish variants (docs/standards.md §1).
Higher scores mean better ability; levels run from 0 (能力完好) to 4 (完全失能).
"""

import re
from dataclasses import dataclass

from django.conf import settings

from yiyang.core.errors import FieldErrors

STANDARD = "GB/T 42195-2022"
STACKING_MODES = ("single", "each")


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    dimension: str
    max_score: int


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    items: tuple[Item, ...]

    @property
    def max_score(self) -> int:
        return sum(item.max_score for item in self.items)


@dataclass(frozen=True)
class StandardConfig:
    code: str
    dimensions: tuple[Dimension, ...]
    # (level, lowest total, highest total), inclusive; must tile 0..max_total exactly.
    bands: tuple[tuple[int, int, int], ...]
    level_labels: tuple[str, ...]  # indexed by level
    risk_events: tuple[tuple[str, str], ...]
    risk_event_threshold: int  # events in the last 30 days that raise the level
    max_risk_count: int  # the form's highest count, meaning "this many or more"
    coma_item: str  # the item whose score 0 means stupor or coma

    def __post_init__(self):
        covered = sorted(total for _, low, high in self.bands for total in range(low, high + 1))
        if covered != list(range(self.max_total + 1)):
            raise ValueError(f"{self.code}: score bands must cover 0..{self.max_total} exactly once")
        if {level for level, _, _ in self.bands} != set(range(len(self.level_labels))):
            raise ValueError(f"{self.code}: every level needs exactly one label and one band")

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for dimension in self.dimensions for item in dimension.items)

    @property
    def max_total(self) -> int:
        return sum(dimension.max_score for dimension in self.dimensions)

    @property
    def max_level(self) -> int:
        return len(self.level_labels) - 1


def _dimension(key: str, label: str, *items: tuple[str, str, int]) -> Dimension:
    return Dimension(key, label, tuple(Item(code, item_label, key, top) for code, item_label, top in items))


GB_T_42195_2022 = StandardConfig(
    code=STANDARD,
    # Annex B, docs/standards.md §1.1: (code, label, max score).
    dimensions=(
        _dimension(
            "self_care",
            "自理能力",
            ("B.1.1", "进食", 4),
            ("B.1.2", "修饰", 4),
            ("B.1.3", "洗澡", 4),
            ("B.1.4", "穿/脱上衣", 4),
            ("B.1.5", "穿/脱裤子和鞋袜", 4),
            ("B.1.6", "小便控制", 4),
            ("B.1.7", "大便控制", 4),
            ("B.1.8", "如厕", 4),
        ),
        _dimension(
            "mobility",
            "基础运动能力",
            ("B.2.1", "床上体位转移", 4),
            ("B.2.2", "床椅转移", 4),
            ("B.2.3", "平地行走", 4),
            ("B.2.4", "上下楼梯", 3),
        ),
        _dimension(
            "mental",
            "精神状态",
            ("B.3.1", "时间定向", 4),
            ("B.3.2", "空间定向", 4),
            ("B.3.3", "人物定向", 4),
            ("B.3.4", "记忆", 4),
            ("B.3.5", "理解能力", 4),
            ("B.3.6", "表达能力", 4),
            ("B.3.7", "攻击行为", 1),
            ("B.3.8", "抑郁症状", 1),
            ("B.3.9", "意识水平", 2),
        ),
        _dimension(
            "perception",
            "感知觉与社会参与",
            ("B.4.1", "视力", 2),
            ("B.4.2", "听力", 2),
            ("B.4.3", "执行日常事务", 4),
            ("B.4.4", "使用交通工具外出", 3),
            ("B.4.5", "社会交往能力", 4),
        ),
    ),
    # Bands from one published table (docs/standards.md §1.2), to check against Annex C.
    bands=((0, 90, 90), (1, 66, 89), (2, 46, 65), (3, 30, 45), (4, 0, 29)),
    level_labels=(
        "能力完好",
        "能力轻度受损（轻度失能）",
        "能力中度受损（中度失能）",
        "能力重度受损（重度失能）",
        "能力完全丧失（完全失能）",
    ),
    risk_events=(
        ("fall", "跌倒"),
        ("choking", "噎食"),
        ("self_harm", "自杀/自伤"),
        ("wandering", "走失"),
        ("other", "其他"),
    ),
    risk_event_threshold=2,
    max_risk_count=3,
    coma_item="B.3.9",
)

STANDARDS: dict[str, StandardConfig] = {GB_T_42195_2022.code: GB_T_42195_2022}

# What a score means, per item, so that an assessor can fill the form without the standard beside them
# (docs/standards.md §1.1). Annex B scores most self-care and movement items on one assistance scale;
# the items with their own anchors list only the scores whose wording is confirmed. A score without a
# description here is shown as its number alone, and the form says to read Annex B for it.
ASSISTANCE_SCALE = {
    4: "独立完成",
    3: "仅需提示或监护",
    2: "需要协助，但大部分自己完成",
    1: "大部分由他人完成，本人能配合",
    0: "完全依赖他人，且不能配合",
}
SCORE_DESCRIPTIONS: dict[str, dict[int, str]] = {
    **{code: ASSISTANCE_SCALE for code in ("B.1.2", "B.1.3", "B.1.4", "B.1.5", "B.1.8", "B.2.1", "B.2.2", "B.4.3")},
    "B.1.1": {2: "偶有噎食（约每月一次）", 1: "经常噎食（约每周一次）", 0: "鼻饲，或吞咽困难"},
    "B.1.6": {0: "小便失禁（留置导尿也计 0 分）"},
    "B.1.7": {0: "大便失禁"},
    "B.2.3": {4: "可独立平地行走约 50 米，无跌倒风险", 3: "需要监护，或使用手杖、助行器"},
    "B.3.9": {2: "神志清醒", 1: "嗜睡或意识模糊", 0: "昏睡或昏迷"},
    "B.4.1": {2: "视力正常", 1: "视力受限", 0: "仅能辨别光线和物体轮廓"},
    "B.4.2": {2: "听力正常", 1: "听力受限", 0: "几乎听不见"},
    "B.4.4": {
        3: "能独立骑车或乘坐公共交通外出",
        2: "能独立乘坐出租车外出",
        1: "有人陪同才能乘坐公共交通",
        0: "外出完全需要他人协助",
    },
}


def score_label(item: Item, score: int) -> str:
    """The form's text for one score of one item: "4 分 · 独立完成", or "4 分" where no wording is confirmed."""
    description = SCORE_DESCRIPTIONS.get(item.code, {}).get(score)
    return f"{score} 分 · {description}" if description else f"{score} 分"


ITEMS: tuple[Item, ...] = GB_T_42195_2022.items
DIMENSIONS: tuple[Dimension, ...] = GB_T_42195_2022.dimensions
RISK_EVENTS: tuple[tuple[str, str], ...] = GB_T_42195_2022.risk_events
LEVEL_LABELS: dict[int, str] = dict(enumerate(GB_T_42195_2022.level_labels))


@dataclass(frozen=True)
class Evaluation:
    self_care: int
    mobility: int
    mental: int
    perception: int
    total: int
    preliminary_level: int
    final_level: int
    level_changes: list[dict]


def get_standard(standard: str = STANDARD) -> StandardConfig:
    try:
        return STANDARDS[standard]
    except KeyError:
        raise FieldErrors({"standard": f"未知的评估标准：{standard}"}) from None


def preliminary_level(total: int, standard: str = STANDARD) -> int:
    """The C.3 preliminary level for a total score."""
    config = get_standard(standard)
    for level, low, high in config.bands:
        if low <= total <= high:
            return level
    raise ValueError(f"total {total!r} is outside 0..{config.max_total} for {standard}")


_INTEGER = re.compile(r"[+-]?[0-9]+")


def _as_int(value) -> int | None:
    """An int, or a string of ASCII digits as HTML forms send; None for anything else (bool included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_scores(config: StandardConfig, scores: dict, errors: dict[str, str]) -> dict[str, int]:
    known = {item.code: item for item in config.items}
    for code in scores:
        if code not in known:
            errors[str(code)] = "未知的评估项目"
    clean = {}
    for code, item in known.items():
        raw = scores.get(code)
        if _is_blank(raw):
            errors[code] = f"{item.label}：缺少该项评分"
            continue
        value = _as_int(raw)
        if value is None or not 0 <= value <= item.max_score:
            errors[code] = f"{item.label}：应为 0–{item.max_score} 的整数，收到 {raw}"
            continue
        clean[code] = value
    return clean


def _clean_risk_events(config: StandardConfig, risk_events: dict, errors: dict[str, str]) -> dict[str, int]:
    labels = dict(config.risk_events)
    for key in risk_events:
        if key not in labels:
            errors[f"risk_events.{key}"] = "未知的照护风险事件"
    clean = {}
    for key, label in labels.items():
        raw = risk_events.get(key)
        if _is_blank(raw):
            clean[key] = 0  # an unticked event on the A.2.14 form means none
            continue
        value = _as_int(raw)
        if value is None or not 0 <= value <= config.max_risk_count:
            errors[f"risk_events.{key}"] = f"{label}：次数应为 0–{config.max_risk_count} 的整数，收到 {raw}"
            continue
        clean[key] = value
    return clean


def _risk_event_text(config: StandardConfig, counts: dict[str, int]) -> str:
    parts = []
    for key, label in config.risk_events:
        count = counts[key]
        if count:
            parts.append(f"{label} {count} 次" + ("及以上" if count >= config.max_risk_count else ""))
    return f"近 30 天发生 {config.risk_event_threshold} 次及以上照护风险事件（" + "、".join(parts) + "）"


def _diagnosis_text(dementia: bool, mental_disorder: bool) -> str:
    names = []
    if dementia:
        names.append("痴呆（F00–F03）")
    if mental_disorder:
        names.append("其他精神和行为障碍（F04–F99）")
    return "确诊" + "及".join(names)


def evaluate(
    scores: dict[str, int],
    *,
    risk_events: dict[str, int] | None = None,
    coma: bool = False,
    dementia: bool = False,
    mental_disorder: bool = False,
    stacking: str | None = None,
    standard: str = STANDARD,
) -> Evaluation:
    """Score an assessment and apply the C.4 level changes; raise FieldErrors listing every problem.

    `coma` is A.5.11 ticked; `dementia` and `mental_disorder` are the A.4 diagnoses; `risk_events`
    maps each A.2.14 event to its 30-day count (3 meaning three or more). `stacking` is "single"
    (all raising rules together add at most one level) or "each" (one level per rule); None reads
    settings.ASSESSMENT_RAISE_STACKING, because the standard's text leaves this unclear.
    """
    config = get_standard(standard)
    errors: dict[str, str] = {}
    if stacking is None:
        stacking = settings.ASSESSMENT_RAISE_STACKING
    if stacking not in STACKING_MODES:
        errors["stacking"] = f"未知的等级变更叠加方式：{stacking}"
    clean = _clean_scores(config, scores, errors)
    counts = _clean_risk_events(config, risk_events or {}, errors)
    if errors:
        raise FieldErrors(errors)

    by_dimension = {d.key: sum(clean[item.code] for item in d.items) for d in config.dimensions}
    total = sum(by_dimension.values())
    level = preliminary_level(total, standard)

    changes: list[dict] = []
    is_coma = coma or clean[config.coma_item] == 0
    if is_coma:
        changes.append({"rule": "coma", "label": "昏迷，直接评定为" + config.level_labels[config.max_level]})
    raises = 0
    if dementia or mental_disorder:
        changes.append({"rule": "diagnosis", "label": _diagnosis_text(dementia, mental_disorder)})
        raises += 1
    if sum(counts.values()) >= config.risk_event_threshold:
        changes.append({"rule": "risk_events", "label": _risk_event_text(config, counts)})
        raises += 1
    if stacking == "single":
        raises = min(raises, 1)
    final = config.max_level if is_coma else min(level + raises, config.max_level)

    return Evaluation(
        self_care=by_dimension["self_care"],
        mobility=by_dimension["mobility"],
        mental=by_dimension["mental"],
        perception=by_dimension["perception"],
        total=total,
        preliminary_level=level,
        final_level=final,
        level_changes=changes,
    )


@dataclass(frozen=True)
class Progress:
    """A form being filled: each dimension's sum so far, what is missing, and the levels once complete."""

    dimensions: list[dict]  # {"label", "score", "max", "missing"} per dimension
    total: int
    max_total: int
    missing: int
    evaluation: Evaluation | None
    level_labels: tuple[str, ...]

    @property
    def preliminary_label(self) -> str:
        return self.level_labels[self.evaluation.preliminary_level] if self.evaluation else ""

    @property
    def final_label(self) -> str:
        return self.level_labels[self.evaluation.final_level] if self.evaluation else ""


def progress(
    scores: dict,
    *,
    risk_events: dict | None = None,
    coma: bool = False,
    dementia: bool = False,
    mental_disorder: bool = False,
    standard: str = STANDARD,
) -> Progress:
    """Score a partly filled form; blank or invalid items count as missing, and the levels come from
    `evaluate` (the one place of the rules) once every item has a score."""
    config = get_standard(standard)
    dimensions, total, missing, clean = [], 0, 0, {}
    for dimension in config.dimensions:
        score = left = 0
        for item in dimension.items:
            value = _as_int(scores.get(item.code))
            if value is None or not 0 <= value <= item.max_score:
                left += 1
                continue
            clean[item.code] = value
            score += value
        dimensions.append({"label": dimension.label, "score": score, "max": dimension.max_score, "missing": left})
        total += score
        missing += left
    evaluation = None
    if not missing:
        counts = {key: value for key, value in (risk_events or {}).items() if _as_int(value) is not None}
        try:
            evaluation = evaluate(
                clean, risk_events=counts, coma=coma, dementia=dementia, mental_disorder=mental_disorder,
                standard=standard,
            )  # fmt: skip
        except FieldErrors:
            evaluation = None
    return Progress(dimensions, total, config.max_total, missing, evaluation, config.level_labels)
