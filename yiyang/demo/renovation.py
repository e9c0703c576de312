"""Demo home renovation: the province's and Zhumadian's yearly targets (the seeds: 10,000 households of
elders in special difficulty province-wide, 7,000 in Zhumadian), the demo county's policy, budget and
three kinds of organisation, and a dozen households at every stage from a fresh application to a paid
and closed file, one of them through a rework round."""

import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import SYSTEM_READER
from yiyang.elders import categories
from yiyang.elders.models import Elder, Status
from yiyang.providers.models import Provider
from yiyang.regions.models import Region
from yiyang.renovation import services
from yiyang.renovation.models import ELIGIBLE_CATEGORIES, FundSource, OrgRole, Stage

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CAPS = {"tekun": 300_000, "dibao": 200_000, "disabled": 250_000, "severe_disability": 250_000,
        "advanced_age": 150_000}  # fmt: skip
ORGS = [
    (OrgRole.ASSESS, "魏都区安居适老化评估设计中心"),
    (OrgRole.CONSTRUCT, "许昌福居建设工程有限公司"),
    (OrgRole.CONSTRUCT, "许昌康居装饰工程有限公司"),
    (OrgRole.ACCEPT, "许昌信达工程监理有限公司"),
]
# How far each demo household has come: (steps after the application, whether acceptance fails once).
# The furthest first, so that a small demo still shows every kind of row.
STAGES = ["closed", "rework", "paid", "start", "assess", "county", "street", "", "paid", "street", "", ""]


def _photo():
    return SimpleUploadedFile("p.png", PNG, content_type="image/png")


def build(county: str, rng: random.Random) -> dict:
    actor = Actor(user=SYSTEM_READER, interface=Interface.CLI)
    year = timezone.localdate().year
    services.save_policy(actor, "410000000000", year, "mca-2020", CAPS, target=10_000,
                         document="河南省“五个一”：特殊困难老年人家庭适老化改造")  # fmt: skip
    if Region.objects.filter(code="411700000000").exists():
        services.save_policy(actor, "411700000000", year, "mca-2020", CAPS, target=7_000, document="驻马店市年度任务")
    services.save_policy(actor, county, year, "mca-2020", CAPS, target=60)
    services.save_budget(actor, county, year, FundSource.PROVINCE, 60 * 300_000, "省级“五个一”适老化改造资金")
    services.save_budget(actor, county, year, FundSource.COUNTY, 10 * 300_000, "县级配套")
    street = Region.objects.filter(parent_code=county).order_by("code").first()
    orgs: dict[str, list[Provider]] = {}
    for role, name in ORGS:
        provider = Provider.objects.create(name=name, region_code=street.code if street else county,
                                           county_code=county[:6], service_regions=[county], phone="0374-5550000")  # fmt: skip
        services.register_org(actor, provider, role, county)
        orgs.setdefault(role, []).append(provider)
    bits = categories.to_bits(ELIGIBLE_CATEGORIES)
    elders = list(
        Elder.objects.filter(county_code=county[:6], status=Status.ACTIVE).exclude(address="")
        .annotate(eligible=F("categories").bitand(bits)).filter(eligible__gt=0).order_by("id")[: len(STAGES)]
    )  # fmt: skip
    made = 0
    for elder, stage in zip(elders, STAGES, strict=False):
        try:
            application = services.apply(actor, {"elder_id": elder.pk, "applicant_kind": rng.choice(
                ["family", "community"]), "applicant_name": "家属" if rng.random() < 0.5 else "网格员"})  # fmt: skip
        except FieldErrors:
            continue  # two registry entries at one address: the rule holds in the demo too
        made += 1
        if stage:
            _advance(actor, application, stage, orgs, rng)
    return {"applications": made, "organisations": len(ORGS)}


def _advance(actor: Actor, application, stage: str, orgs: dict, rng: random.Random) -> None:
    order = ["street", "county", "assess", "start", "rework", "paid", "closed"]
    reached = order[: order.index(stage) + 1]
    services.take_step(actor, application.pk, "street_approve")
    if "county" not in reached:
        return
    contractor = rng.choice(orgs[OrgRole.CONSTRUCT])
    services.take_step(actor, application.pk, "county_approve", {
        "assessor_id": orgs[OrgRole.ASSESS][0].pk, "contractor_id": contractor.pk,
        "acceptor_id": orgs[OrgRole.ACCEPT][0].pk})  # fmt: skip
    if "assess" not in reached:
        return
    items = list(application.policy.catalog.items.filter(tier="basic").order_by("number"))
    chosen = rng.sample(items, 3)
    services.add_photos(actor, application.pk, chosen[0].pk, Stage.ASSESS, [_photo()])
    lines = [{"item_id": i.pk, "quantity": rng.randint(1, 3)} for i in chosen]
    total = sum(i.reference_price * line["quantity"] for i, line in zip(chosen, lines, strict=True))
    # Above the household's cap the family pays the rest, as the plan must say.
    self_pay = max(total - application.cap, 0)
    services.propose_plan(actor, application.pk, {"lines": lines, "self_pay": f"{self_pay / 100:.2f}"})
    if "start" not in reached:
        return
    services.take_step(actor, application.pk, "confirm")
    services.take_step(actor, application.pk, "start")
    lines = list(application.lines.filter(in_plan=True))
    for line in lines:
        services.add_photos(actor, application.pk, line.item_id, Stage.BEFORE, [_photo()])
        services.add_photos(actor, application.pk, line.item_id, Stage.AFTER, [_photo()])
    services.take_step(actor, application.pk, "complete")
    if stage == "start":
        return
    failed = lines[0].pk if stage == "rework" or rng.random() < 0.3 else None
    services.check_items(actor, application.pk, [
        {"line_id": line.pk, "passed": line.pk != failed, "note": "扶手安装高度不便使用，需调整" if line.pk == failed else ""}
        for line in lines])  # fmt: skip
    if stage == "rework":
        return
    if failed:
        services.add_photos(actor, application.pk, lines[0].item_id, Stage.AFTER, [_photo()])
        services.take_step(actor, application.pk, "complete")
        services.check_items(actor, application.pk, [{"line_id": line.pk, "passed": True} for line in lines])
    services.take_step(actor, application.pk, "approve_subsidy")
    services.take_step(actor, application.pk, "pay")
    if stage == "closed":
        services.take_step(actor, application.pk, "close")
