"""Printable documents of supervision, for the print pages and the PDFs of the pages and the API alike:
the rectification notice of an inspection (整改通知书), a subsidy claim with its evidence lines (运营补贴
申报表) and the cadre pairing board a centre posts on its wall (包联干部公示牌).

Each function answers the template's context and finds its row exactly as the row's own page does, so
that a document is 404 wherever the page is."""

from django.http import Http404
from django.utils import timezone

from yiyang.core import pdf
from yiyang.core.photos import content_type
from yiyang.core.regioncodes import county_of
from yiyang.core.scoping import get_visible_or_404
from yiyang.elders.models import CapabilityLevel, Elder
from yiyang.regions.models import Region

from .models import CheckCategory, Hazard, InspectionStatus, SubsidyClaim
from .services import inspections, pairing, subsidies

NOTICE_TEMPLATE = "supervision/print/notice.html"
CLAIM_TEMPLATE = "supervision/print/claim.html"
BOARD_TEMPLATE = "supervision/print/board.html"


def _bureau(region_code: str) -> str:
    """The civil-affairs bureau of the county a row belongs to, as a document names its issuer."""
    county = Region.objects.filter(code=county_of(region_code).ljust(12, "0")).values_list("name", flat=True).first()
    return f"{county or ''}民政局"


# --- The rectification notice --------------------------------------------------------------------


def rectification_notice(user, inspection_id: int) -> dict:
    """The notice of a carried-out inspection: its hazards with item, severity, deadline and the person
    responsible. A planned or cancelled inspection has no notice (404), as it has no hazards yet."""
    inspection = inspections.get_inspection(user, inspection_id)
    if inspection.status != InspectionStatus.DONE:
        raise Http404
    categories = dict(CheckCategory.choices)
    rows = []
    hazards = Hazard.objects.visible_to(user).filter(inspection=inspection).order_by("id")
    for hazard in hazards:
        item = inspection.checklist.item(hazard.item_code) or {}
        rows.append({"hazard": hazard, "item": item.get("text", hazard.item_code),
                     "category": categories.get(hazard.category, hazard.category)})  # fmt: skip
    inspected = timezone.localtime(inspection.inspected_at).date() if inspection.inspected_at else inspection.planned_on
    return {
        "inspection": inspection,
        "facility": inspection.facility,
        "inspected_on": inspected,
        "rows": rows,
        "major": sum(1 for row in rows if row["hazard"].severity == "major"),
        "bureau": _bureau(inspection.region_code),
        "number": f"{inspection.county_code}-{inspected:%Y}-{inspection.pk:05d}",
        "issued_on": timezone.localdate(),
    }


def notice_filename(context: dict) -> str:
    return f"整改通知书-{context['number']}.pdf"


# --- The subsidy claim ---------------------------------------------------------------------------


def subsidy_claim(user, claim_id: int) -> dict:
    """A claim with its evidence lines, steps and payments. Residents registered outside the user's scope
    keep their names hidden, as on the claim's page."""
    claim = get_visible_or_404(SubsidyClaim.objects.select_related("facility", "rate_table"), user, pk=claim_id)
    lines = list(claim.lines.all())
    elder_ids = [line.elder_id for line in lines if line.elder_id]
    names = dict(Elder.objects.visible_to(user).filter(pk__in=elder_ids).values_list("pk", "name"))
    levels = dict(CapabilityLevel.choices)
    for line in lines:
        line.elder_name = names.get(line.elder_id, "")
        line.level_label = levels.get(line.capability_level, "未评估或评估已过期")
    history = list(claim.steps.all())
    for step in history:
        step.label = subsidies.STEP_LABELS.get(step.action, step.action)
    return {
        "claim": claim,
        "facility": claim.facility,
        "lines": lines,
        "lines_total": sum(line.amount for line in lines),
        "history": history,
        "payments": list(claim.payments.all()),
        "bureau": _bureau(claim.region_code),
        "printed_at": timezone.localtime(),
    }


def claim_filename(context: dict) -> str:
    return f"运营补贴申报表-{context['claim'].month:%Y%m}-{context['claim'].pk}.pdf"


# --- The pairing board ---------------------------------------------------------------------------


def pairing_board(actor, facility_id: int, *, for_pdf: bool, reveal: bool = False) -> dict:
    """The cadres paired with a facility today, phones masked unless the bureau reveals them (audited).
    Photos come from the scoped photo page on screen and inside the file in a PDF, which loads nothing
    from outside."""
    from django.urls import reverse

    facility, rows = pairing.board(actor.user, facility_id)
    for row in rows:
        cadre = pairing.with_phone_shown(actor, row.cadre, reveal)
        if not cadre.photo:
            row.photo_src = ""
        elif for_pdf:
            row.photo_src = pdf.data_uri(cadre.photo, content_type(cadre.photo_extension))
        else:
            row.photo_src = reverse("supervision:pairing_photo", args=[cadre.pk])
    may_reveal = bool(rows) and rows[0].cadre.shown.may_reveal  # the bureau of the region; one check for the board
    return {"facility": facility, "pairings": rows, "printed_on": timezone.localdate(), "may_reveal": may_reveal}


def board_filename(context: dict) -> str:
    return f"包联干部公示-{context['facility'].name}.pdf"
