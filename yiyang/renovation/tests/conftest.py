import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders import categories
from yiyang.providers.models import Provider
from yiyang.renovation import services
from yiyang.renovation.models import FundSource, OrgRole

COUNTY = "411002000000"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CAP = 300_000  # 3,000 yuan, the Wuhan figure for basic works


def png(name="a.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def root(db):
    from yiyang.accounts.services import create_user

    return Actor(user=create_user("renovation-root", "Pass-word-123", is_superuser=True))


@pytest.fixture
def officer(county_officer):
    return Actor(user=county_officer)


@pytest.fixture
def policy(regions, root):
    return services.save_policy(root, COUNTY, 2026, "mca-2020", {"tekun": CAP, "dibao": 200_000}, target=5)


@pytest.fixture
def budget(policy, root):
    return services.save_budget(root, COUNTY, 2026, FundSource.PROVINCE, 10 * CAP)


@pytest.fixture
def orgs(regions, root):
    made = {}
    for role, name in ((OrgRole.ASSESS, "安居评估设计所"), (OrgRole.CONSTRUCT, "福居建设公司"),
                       (OrgRole.ACCEPT, "信达工程监理")):  # fmt: skip
        provider = Provider.objects.create(name=name, region_code="411002001000", county_code="411002",
                                           service_regions=[COUNTY])  # fmt: skip
        services.register_org(root, provider, role, COUNTY)
        made[role] = provider
    # A contractor that also registered as an acceptor: the county may not give it both roles on one home.
    services.register_org(root, made[OrgRole.CONSTRUCT], OrgRole.ACCEPT, COUNTY)
    # A design firm that also builds: it may not build what it designed.
    services.register_org(root, made[OrgRole.ASSESS], OrgRole.CONSTRUCT, COUNTY)
    return made


@pytest.fixture
def managers(orgs, make_user):
    return {role: Actor(user=make_user(Role.PROVIDER_MANAGER, region_code=p.region_code, scope_id=p.pk))
            for role, p in orgs.items()}  # fmt: skip


@pytest.fixture
def tekun_elder(make_elder):
    return make_elder(categories=categories.to_bits(["tekun"]), address="西大街道花园社区 3 号楼 1 单元 201 室")


@pytest.fixture
def family(make_user, tekun_elder):
    return Actor(user=make_user(Role.FAMILY, region_code=tekun_elder.region_code, scope_id=tekun_elder.pk))


def orgs_data(orgs, **changes):
    data = {"assessor_id": orgs[OrgRole.ASSESS].pk, "contractor_id": orgs[OrgRole.CONSTRUCT].pk,
            "acceptor_id": orgs[OrgRole.ACCEPT].pk}  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def approved(officer, family, tekun_elder, policy, budget, orgs, managers):
    """An application through both reviews, with its organisations assigned."""
    application = services.apply(family, {"elder_id": tekun_elder.pk})
    services.take_step(officer, application.pk, "street_approve")
    services.take_step(officer, application.pk, "county_approve", orgs_data(orgs))
    application.refresh_from_db()
    return application


def basic_items(application):
    return list(application.policy.catalog.items.filter(tier="basic").order_by("number"))
