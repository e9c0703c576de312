import io
import json
from datetime import date

import pytest
from django.test import Client

from conftest import make_id_number
from yiyang.benefits.months import first_of
from yiyang.benefits.tests.conftest import ACCOUNT, COUNTY, born, enrol

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of(date.today())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_ineligible_application_answers_422_naming_the_rule(make_elder, make_user, old_age):
    from yiyang.core.roles import Role

    young = make_elder(name="李青年", id_number=make_id_number(birth=born(72)))
    user = make_user(Role.FAMILY, region_code=young.region_code, scope_id=young.pk)
    response = post(client_for(user), "/api/v1/benefits/applications",
                    {"elder_id": young.pk, "program_id": old_age.pk, "applicant_name": "李小青", "bank_account": ACCOUNT})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["rule"] == "age" and "年龄" in response.json()["message"]


def test_a_caller_claiming_the_referral_source_to_skip_the_account_gets_422(family, old_elder, old_age):
    response = post(client_for(family), "/api/v1/benefits/applications",
                    {"elder_id": old_elder.pk, "program_id": old_age.pk, "applicant_name": "王小明",
                     "source": "referral"})  # fmt: skip
    assert response.status_code == 422
    assert "source" in json.dumps(response.json(), ensure_ascii=False)


def test_application_answer_masks_the_account_and_lists_the_next_steps(family, old_elder, old_age, community_worker):
    created = post(client_for(family), "/api/v1/benefits/applications",
                   {"elder_id": old_elder.pk, "program_id": old_age.pk, "applicant_name": "王小明",
                    "bank_account": ACCOUNT})  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["bank_account"].endswith("8901") and ACCOUNT not in json.dumps(body)
    assert body["options"] == []  # the family cannot review its own application
    seen = client_for(community_worker).get(f"/api/v1/benefits/applications/{body['id']}").json()
    assert "community_pass" in seen["options"]
    step = post(client_for(community_worker), f"/api/v1/benefits/applications/{body['id']}/steps/community_pass",
                {"version": seen["version"]})  # fmt: skip
    assert step.json()["status"] == "community_passed"
    stale = post(client_for(community_worker), f"/api/v1/benefits/applications/{body['id']}/steps/refuse",
                 {"note": "不符", "version": seen["version"]})  # fmt: skip
    assert stale.status_code in (403, 409)


def test_payroll_through_the_api_rerun_adds_nothing_and_result_errors_name_the_line(officer, checker, make_elder,
                                                                                    old_age, county_officer):  # fmt: skip
    for i in range(2):
        elder = make_elder(name=f"接口{i}", id_number=make_id_number(birth=born(83)))
        enrol(officer, elder, old_age, THIS_MONTH, account=f"62284800123456789{i:02d}")
    client = client_for(county_officer)
    month = f"{THIS_MONTH:%Y-%m}"
    first = post(client, "/api/v1/benefits/payrolls", {"region": COUNTY, "month": month}).json()
    again = post(client, "/api/v1/benefits/payrolls", {"region": COUNTY, "month": month}).json()
    assert (first["added"], again["added"], again["id"], again["lines_count"]) == (2, 0, first["id"], 2)
    assert "approve" not in first["options"]
    assert post(client_for(checker.user), f"/api/v1/benefits/payrolls/{first['id']}/steps/check", {}).status_code == 200
    assert post(client, f"/api/v1/benefits/payrolls/{first['id']}/steps/approve", {}).status_code == 200
    exported = client.post(f"/api/v1/benefits/payrolls/{first['id']}/bank-file")
    assert exported.status_code == 200 and "汇总,2,100.00" in exported.content.decode("gbk")
    result = io.BytesIO("序号,账号,户名,金额,处理结果\n1,6228480000000000000,某,50.00,成功\n汇总,1,50.00\n".encode())
    result.name = "回盘.csv"
    refused = client.post(f"/api/v1/benefits/payrolls/{first['id']}/result", {"file": result})
    assert refused.status_code == 422 and "第 2 行" in refused.json()["message"]


def test_neighbour_officer_gets_404_for_the_home_payroll(officer, make_elder, old_age, neighbour_officer):
    from yiyang.benefits import payroll

    elder = make_elder(name="界内", id_number=make_id_number(birth=born(83)))
    enrol(officer, elder, old_age, THIS_MONTH)
    run, _ = payroll.run(officer, COUNTY, THIS_MONTH)
    client = client_for(neighbour_officer)
    assert client.get(f"/api/v1/benefits/payrolls/{run.pk}").status_code == 404
    assert post(client, f"/api/v1/benefits/payrolls/{run.pk}/steps/check", {}).status_code == 404


def test_death_list_and_verification_through_the_api(officer, make_elder, old_age, county_officer):
    from yiyang.benefits import verification
    from yiyang.benefits.models import Recipient, Verification

    elder = make_elder(name="接口认证", id_number=make_id_number(birth=born(88)))
    gone = make_elder(name="接口已故", id_number=make_id_number(birth=born(90)))
    enrol(officer, elder, old_age, THIS_MONTH)
    enrol(officer, gone, old_age, THIS_MONTH)
    client = client_for(county_officer)
    listing = io.BytesIO(f"身份证号码,姓名,死亡日期\n{gone.id_number},接口已故,{THIS_MONTH.isoformat()}\n".encode())
    listing.name = "死亡.csv"
    batch = client.post("/api/v1/benefits/stop-lists", {"region": COUNTY, "kind": "death", "source": "殡葬",
                                                        "file": listing})  # fmt: skip
    assert batch.status_code == 201 and batch.json()["matched"] == 1
    assert Recipient.objects.get(elder=gone).status == "stopped"
    verification.open_year(officer, COUNTY, date.today().year, date.today())
    row = Verification.objects.get(recipient__elder=elder)
    done = post(client, f"/api/v1/benefits/verifications/{row.pk}/verify", {"method": "video", "evidence": "视频 3"})
    assert done.status_code == 200 and done.json()["status"] == "verified"
    due = client.get(f"/api/v1/benefits/verifications?region={COUNTY}&status=due").json()
    assert due["count"] == 0


def _paid(recipient, months, amount=10000):
    from yiyang.benefits.models import Payment

    for month in months:
        Payment.objects.create(recipient=recipient, region_code=recipient.region_code, county_code=recipient.county_code,
                               month=month, paid_month=month, amount=amount, idempotency_key=f"test:{month}")  # fmt: skip


def test_move_list_through_the_api_stops_from_the_month_after_and_opens_the_recovery(officer, make_elder, old_age,
                                                                                   county_officer):  # fmt: skip
    from yiyang.benefits.models import Recipient
    from yiyang.benefits.months import add_months

    elder = make_elder(name="接口迁出", id_number=make_id_number(birth=born(91)))
    start = add_months(THIS_MONTH, -3)
    recipient = enrol(officer, elder, old_age, start)
    _paid(recipient, [add_months(start, n) for n in range(4)])
    listing = io.BytesIO(
        f"身份证号码,姓名,迁出日期\n{elder.id_number},接口迁出,{add_months(start, 1):%Y年%m月}15日\n".encode()
    )
    listing.name = "迁出.csv"
    client = client_for(county_officer)
    batch = client.post("/api/v1/benefits/stop-lists", {"region": COUNTY, "kind": "move", "source": "公安户籍迁出",
                                                        "file": listing})  # fmt: skip
    assert batch.status_code == 201 and (batch.json()["kind"], batch.json()["matched"]) == ("move", 1)
    recipient = Recipient.objects.get(pk=recipient.pk)
    assert (recipient.stop_month, recipient.stop_reason) == (add_months(start, 2), "moved")
    cases = client.get(f"/api/v1/benefits/recovery-cases?region={COUNTY}").json()
    assert [(c["due_fen"], c["balance_fen"]) for c in cases["items"]] == [(20000, 20000)]
