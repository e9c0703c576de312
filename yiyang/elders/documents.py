"""Printable documents of the registry: the capability assessment report (老年人能力评估报告,
GB/T 42195-2022 Annex C), for the print page and the PDF of the pages and the API alike."""

from yiyang.core import idnumber, masking
from yiyang.core.audit import Actor
from yiyang.core.regioncodes import ancestors
from yiyang.core.scoping import get_visible_or_404
from yiyang.regions.models import Region

from . import assessment as rules
from .models import Assessment, Elder

TEMPLATE = "elders/print/assessment.html"

# C.4 能力等级变更依据, in the standard's order; a rule applied to this assessment is ticked.
RAISE_RULES = (
    ("coma", "处于昏迷状态者，直接评定为能力完全丧失"),
    ("diagnosis", "确诊为痴呆（F00～F03）、精神科专科医生诊断的其他精神和行为障碍疾病（F04～F99），在原有能力级别上提高一个等级"),
    ("risk_events", "近 30 天内发生过 2 次及以上照护风险事件（如跌倒、噎食、自杀、自伤、走失等），在原有能力级别上提高一个等级"),
)  # fmt: skip


def filename(record: Assessment) -> str:
    return f"能力评估报告-{record.assessed_on:%Y%m%d}-{record.pk}.pdf"


def assessment_report(actor: Actor, elder_id: int, assessment_id: int, *, reveal: bool = False) -> dict:
    """The context of the assessment report: 404 when the assessment is not visible to the user; the
    elder's sensitive fields masked unless `reveal` is asked for and granted (then audited once)."""
    record = get_visible_or_404(
        Assessment.objects.select_related("elder"), actor.user, "view", pk=assessment_id, elder_id=elder_id
    )
    elder: Elder = record.elder
    sensitive = masking.shown(actor, elder, reveal=reveal)
    config = rules.get_standard(record.standard)
    dimensions = []
    for dimension in config.dimensions:
        items = [(item.code, item.label, record.scores.get(item.code), item.max_score) for item in dimension.items]
        dimensions.append(
            {"label": dimension.label, "items": items, "score": getattr(record, dimension.key, None),
             "max": dimension.max_score}
        )  # fmt: skip
    applied = {change.get("rule") for change in record.level_changes}
    risk_labels = dict(config.risk_events)
    names = dict(
        Region.objects.filter(code__in=[*ancestors(elder.region_code), elder.region_code]).values_list("code", "name")
    )
    return {
        "record": record,
        "elder": elder,
        "sensitive": sensitive.values,
        "revealed": sensitive.revealed,
        "shown": sensitive,  # `shown.may_reveal` asks the database only when the page reads it
        "region_path": "".join(names[code] for code in sorted(names)) or elder.region_code,
        "age": _age_on(elder, record),
        "dimensions": dimensions,
        "max_total": config.max_total,
        "bands": [(config.level_labels[level], low, high) for level, low, high in config.bands],
        "preliminary_label": config.level_labels[record.preliminary_level],
        "final_label": config.level_labels[record.final_level],
        "raise_rules": [(label, key in applied) for key, label in RAISE_RULES],
        "level_changes": record.level_changes,
        "risk_events": [(risk_labels.get(key, key), count) for key, count in record.risk_events.items() if count],
        "standard": config.code,
    }


def _age_on(elder: Elder, record: Assessment) -> int:
    return idnumber.age_on(elder.birth_date, record.assessed_on)
