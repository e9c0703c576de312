"""The printable monthly report (月度报告) of a region: every indicator of the month against the month
before, this year's targets, and the headline figures of each child region; for the print page and the
PDFs of the page and the API alike.

The month's figures are those recorded when the report was built (its snapshot); a report printed
before that, or a child region without a snapshot of the month, shows the figures at printing time,
and the document says so."""

from django.utils import timezone

from yiyang.core.scoping import get_visible_or_404

from . import indicators, services
from .models import IndicatorSnapshot, MonthlyReport

TEMPLATE = "analytics/print/report.html"


def filename(context: dict) -> str:
    report = context["report"]
    return f"月度报告-{context['region'].name}-{report.month:%Y%m}.pdf"


def monthly_report(user, report_id: int) -> dict:
    """404 when the report, or its region, is outside the user's scope."""
    report = get_visible_or_404(MonthlyReport.objects, user, "view", pk=report_id)
    board = services.dashboard(user, report.region_code)
    snapshots = IndicatorSnapshot.objects.visible_to(user, "view")
    month = {s.region_code: s.values for s in snapshots.filter(month=report.month)
             .filter(region_code__in=[report.region_code, *(child.code for child, _ in board.children)])}  # fmt: skip
    before = snapshots.filter(region_code=report.region_code, month=services.previous_month(report.month)).first()
    now = month.get(report.region_code, board.values)
    then = before.values if before else {}
    rows = [
        {"name": i.name, "unit": i.unit, "now": now.get(i.key), "then": then.get(i.key), "change": services.trend(now, then, i.key)}
        for i in indicators.REGISTRY
    ]  # fmt: skip
    headline = [indicators.BY_KEY[key] for key in indicators.HEADLINE]
    children, live_children = [], False
    for child, values in board.children:
        stored = month.get(child.code)
        live_children |= stored is None
        children.append((child, [(stored or values).get(i.key) for i in headline]))
    return {
        "report": report,
        "region": board.region,
        "path": board.path,
        "rows": rows,
        "headline": headline,
        "children": children,
        "targets": board.targets,
        "state_labels": services.STATE_LABELS,
        "from_snapshot": report.region_code in month,
        "live_children": live_children,
        "has_previous": before is not None,
        "printed_at": timezone.localtime(),
    }
