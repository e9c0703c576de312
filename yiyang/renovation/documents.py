"""The printable household file (改造档案): the application, the plan, the photos before and after, the
acceptance checks and the payment, built with the row found as its page finds it. Photos go in as
`data:` URIs (core.pdf fetches nothing else); the full address is printed only for a user who may see
it, and then audited like any other reveal."""

from django.utils import timezone

from yiyang.core import masking, pdf
from yiyang.core.audit import Actor
from yiyang.core.photos import content_type
from yiyang.core.scoping import get_visible_or_404

from .models import Application, Stage
from .workflows import APPLICATION

STEP_LABELS = {"submit": "提交申请", **{t.name: t.label for t in APPLICATION.transitions}}


def labelled(steps):
    """The history with each step's label (the step record keeps the transition's name)."""
    steps = list(steps)
    for step in steps:
        step.label = STEP_LABELS.get(step.action, step.action)
    return steps


FILE_TEMPLATE = "renovation/print/file.html"


def household_file(request, application_id: int) -> dict:
    rows = Application.objects.select_related("elder", "assessor", "contractor", "acceptor", "policy__catalog")
    application = get_visible_or_404(rows, request.user, pk=application_id)
    shown = masking.shown(Actor.from_request(request), application,
                          reveal=masking.may_reveal(request.user, application), fields=["address"])  # fmt: skip
    lines = []
    for line in application.lines.filter(in_plan=True).select_related("item").prefetch_related("photos"):
        pictures = {Stage.BEFORE: [], Stage.AFTER: []}
        for photo in line.photos.all():
            if photo.stage in pictures and len(pictures[photo.stage]) < 2:
                pictures[photo.stage].append(pdf.data_uri(photo.file, content_type(photo.extension)))
        lines.append({"line": line, "before": pictures[Stage.BEFORE], "after": pictures[Stage.AFTER]})
    return {
        "a": application, "address": shown["address"], "lines": lines,
        "checks": application.checks.select_related("line__item"), "steps": labelled(application.steps.all()),
        "payments": application.payments.all(), "printed_at": timezone.now(),
    }  # fmt: skip


def filename(context: dict) -> str:
    return f"适老化改造档案-{context['a'].number}.pdf"
