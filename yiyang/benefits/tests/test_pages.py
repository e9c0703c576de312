import io
from datetime import date

import pytest
from django.test import Client

from conftest import make_id_number
from yiyang.benefits import payroll, services
from yiyang.benefits.models import Application, LineStatus
from yiyang.benefits.months import first_of
from yiyang.benefits.tests.conftest import ACCOUNT, COUNTY, born, enrol
from yiyang.core.audit import Actor
from yiyang.core.models import AuditEntry

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of(date.today())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def application(family, old_elder, old_age):
    return services.apply(Actor(user=family), {"elder_id": old_elder.pk, "program_id": old_age.pk,
                                               "applicant_name": "王小明", "bank_account": ACCOUNT})  # fmt: skip


@pytest.mark.parametrize("name", ["programs", "candidates", "applications", "payrolls", "stops", "recoveries",
                                  "verifications"])  # fmt: skip
def test_county_officer_pages_open(county_officer, programs, name):
    response = client_for(county_officer).get(f"/benefits/{'' if name == 'programs' else name + '/'}?region={COUNTY}")
    assert response.status_code == 200
    assert "魏都区" in response.content.decode()


def test_programs_page_marks_placeholder_amounts(county_officer, programs):
    text = client_for(county_officer).get(f"/benefits/?region={COUNTY}").content.decode()
    assert "金额待民政部门确认" in text and "80-89周岁" in text


def test_application_page_offers_the_community_review_to_the_worker_only(application, community_worker, family):
    worker_page = client_for(community_worker).get(f"/benefits/applications/{application.pk}/").content.decode()
    assert "社区初审通过" in worker_page
    family_page = client_for(family).get(f"/benefits/applications/{application.pk}/").content.decode()
    assert "社区初审通过" not in family_page and "待社区初审" in family_page


def test_workflow_button_moves_the_application(application, community_worker):
    response = client_for(community_worker).post(f"/benefits/applications/{application.pk}/community_pass/",
                                                 {"version": application.version})  # fmt: skip
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "community_passed"


def test_family_apply_page_names_the_rule_for_an_ineligible_elder(make_elder, make_user, old_age):
    from yiyang.core.roles import Role

    young = make_elder(name="李青年", id_number=make_id_number(birth=born(70)))
    user = make_user(Role.FAMILY, region_code=young.region_code, scope_id=young.pk)
    text = client_for(user).get("/benefits/apply/").content.decode()
    assert "不符合“年龄”条件" in text


def test_family_submits_an_application_with_a_document(family, old_elder, old_age):
    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile("身份证.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    response = client_for(family).post("/benefits/apply/submit/", {
        "elder": old_elder.pk, "program": old_age.pk, "applicant_name": "王小明", "bank_account": ACCOUNT,
        "kind_0": "id_card", "documents": scan,
    })  # fmt: skip
    application = Application.objects.get(elder=old_elder)
    assert response.status_code == 302 and response["Location"].endswith(f"/{application.pk}/")
    assert application.documents.get().kind == "id_card"


def test_application_page_masks_the_account_until_revealed_and_audits_the_reveal(application, county_officer):
    client = client_for(county_officer)
    assert ACCOUNT not in client.get(f"/benefits/applications/{application.pk}/").content.decode()
    assert ACCOUNT in client.get(f"/benefits/applications/{application.pk}/?reveal=1").content.decode()
    assert AuditEntry.objects.filter(action="view_sensitive", object_type="benefits.application").count() == 1


@pytest.fixture
def approved(officer, checker, make_elder, old_age):
    for i in range(3):
        elder = make_elder(name=f"页面{i}", id_number=make_id_number(birth=born(85)))
        enrol(officer, elder, old_age, THIS_MONTH, account=f"62284800123456789{i:02d}")
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    payroll.take_step(checker, run.pk, "check")
    payroll.take_step(officer, run.pk, "approve")
    return run


def test_bank_file_download_and_result_upload_through_the_pages(approved, county_officer):
    client = client_for(county_officer)
    page = client.get(f"/benefits/payrolls/{approved.pk}/").content.decode()
    assert "下载银行代发文件" in page and "6228480012345678900" not in page
    download = client.post(f"/benefits/payrolls/{approved.pk}/bank-file/")
    assert download["Content-Disposition"].startswith("attachment")
    lines = download.content.decode("gbk").splitlines()
    rows = [line.split(",") for line in lines[1:-1]]
    result = (
        "序号,账号,户名,金额,处理结果\n"
        + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},成功\n" for r in rows)
        + "汇总,3,99.00\n"
    )
    upload = io.BytesIO(result.encode())
    upload.name = "回盘.csv"
    response = client.post(f"/benefits/payrolls/{approved.pk}/result/", {"file": upload}, follow=True)
    assert "第 5 行（汇总行）" in response.content.decode()
    upload = io.BytesIO(result.replace("汇总,3,99.00", "汇总,3,150.00").encode())
    upload.name = "回盘.csv"
    response = client.post(f"/benefits/payrolls/{approved.pk}/result/", {"file": upload}, follow=True)
    assert "成功 3 笔" in response.content.decode()
    assert not approved.lines.exclude(status=LineStatus.PAID).exists()


def test_payroll_page_queries_do_not_grow_with_lines(approved, county_officer, django_assert_max_num_queries,
                                                     make_elder, old_age, officer):  # fmt: skip
    client = client_for(county_officer)
    with django_assert_max_num_queries(30) as few:
        client.get(f"/benefits/payrolls/{approved.pk}/")
    for i in range(10):
        elder = make_elder(name=f"加{i}", id_number=make_id_number(birth=born(86)))
        enrol(officer, elder, old_age, THIS_MONTH, account=f"62284800223456789{i:02d}")
    from yiyang.benefits.models import Payroll, PayrollStatus

    Payroll.objects.filter(pk=approved.pk).update(status=PayrollStatus.DRAFT)
    payroll.run(officer, COUNTY, THIS_MONTH)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/benefits/payrolls/{approved.pk}/")


def test_applications_list_queries_do_not_grow_with_rows(county_officer, make_elder, old_age, make_user,
                                                         django_assert_max_num_queries):  # fmt: skip
    from yiyang.core.roles import Role

    admin = Actor(user=make_user(Role.PLATFORM_ADMIN))
    form = {"program_id": old_age.pk, "applicant_name": "代办", "bank_account": ACCOUNT}
    services.apply(admin, {**form, "elder_id": make_elder(name="一", id_number=make_id_number(birth=born(85))).pk})
    client = client_for(county_officer)
    with django_assert_max_num_queries(30) as few:
        client.get(f"/benefits/applications/?region={COUNTY}")
    for i in range(8):
        services.apply(
            admin, {**form, "elder_id": make_elder(name=f"多{i}", id_number=make_id_number(birth=born(85))).pk}
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/benefits/applications/?region={COUNTY}")


def test_home_to_do_counts_the_applications_the_list_shows(application, community_worker, neighbour_officer):
    client = client_for(community_worker)
    home = client.get("/").content.decode()
    assert "待审核的补贴申请" in home
    listing = client.get("/benefits/applications/?waiting=1").content.decode()
    assert listing.count(f"/benefits/applications/{application.pk}/") >= 1
    assert client.get("/api/v1/benefits/applications?waiting=true").json()["count"] == 1
    # The neighbour county's officer has nothing of it to review.
    assert client_for(neighbour_officer).get("/api/v1/benefits/applications?waiting=true").json()["count"] == 0


def test_window_clerk_finds_the_elder_by_id_number(county_officer, make_elder, old_age):
    elders = [make_elder(name=f"窗口{i}", id_number=make_id_number(birth=born(81 + i))) for i in range(3)]
    client = client_for(county_officer)
    assert "请输入老人的身份证号码" in client.get("/benefits/apply/").content.decode()
    page = client.get(f"/benefits/apply/?id_number={elders[1].id_number.lower()}").content.decode()
    assert "窗口1" in page and 'id="offer-old_age"' in page


def test_a_large_payroll_is_built_by_the_task_worker(county_officer, make_elder, old_age, officer, monkeypatch):
    from yiyang.benefits import tasks
    from yiyang.benefits.models import Payroll

    monkeypatch.setattr(tasks, "IN_REQUEST", 1)
    for i in range(2):
        elder = make_elder(name=f"后台{i}", id_number=make_id_number(birth=born(85)))
        enrol(officer, elder, old_age, THIS_MONTH, account=f"62284800323456789{i:02d}")
    response = client_for(county_officer).post("/benefits/payrolls/run/", {"region": COUNTY,
                                                                           "month": f"{THIS_MONTH:%Y-%m}"})  # fmt: skip
    assert response.status_code == 302 and "/benefits/payrolls/?region=" in response["Location"]
    # The test settings run tasks at once; a deployment's worker runs it moments later.
    assert Payroll.objects.get(month=THIS_MONTH).lines_count == 2


def test_move_list_upload_page_stops_the_recipient_and_lists_the_result(county_officer, officer, make_elder, old_age):
    from yiyang.benefits.months import add_months

    elder = make_elder(name="页面迁出", id_number=make_id_number(birth=born(86)))
    recipient = enrol(officer, elder, old_age, add_months(THIS_MONTH, -1))
    moved = add_months(THIS_MONTH, -1).replace(day=20)
    upload = io.BytesIO(f"公民身份号码,姓名,迁出日期\n{elder.id_number},页面迁出,{moved:%Y/%m/%d}\n".encode("gbk"))
    upload.name = "迁出名单.csv"
    client = client_for(county_officer)
    response = client.post(
        "/benefits/stops/upload/", {"region": COUNTY, "kind": "move", "source": "公安", "file": upload}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "迁出名单" in page and "比中，已停发" in page and elder.id_number not in page
    recipient.refresh_from_db()
    assert (recipient.status, recipient.stop_month, recipient.stop_reason) == ("stopped", THIS_MONTH, "moved")
    assert "迁出本地" in client.get(f"/benefits/recipients/{recipient.pk}/").content.decode()
