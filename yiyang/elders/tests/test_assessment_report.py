"""The printed capability assessment report (GB/T 42195-2022 Annex C): the page, the PDF of the page and of
the API, masked per the viewer's rights, and 404 for everyone outside the row's scope."""

from datetime import date

import pytest
from django.test import Client

from conftest import full_scores, pdf_pages
from yiyang.core.audit import Actor
from yiyang.core.models import AuditAction, AuditEntry
from yiyang.elders import services


@pytest.fixture
def record(county_officer, elder):
    scores = full_scores()
    scores["B.1.1"] = 2  # 进食 2 of 4: a total of 88, 轻度失能
    return services.record_assessment(
        Actor(user=county_officer),
        elder.pk,
        {"assessed_on": date(2026, 1, 5), "assessor_1": "王评估", "assessor_2": "赵评估", "scores": scores,
         "dementia": True},
    )  # fmt: skip


def urls(record):
    base = f"/elders/{record.elder_id}/assessments/{record.pk}"
    return [
        f"{base}/print/",
        f"{base}/report.pdf",
        f"/api/v1/elders/{record.elder_id}/assessments/{record.pk}/report.pdf",
    ]


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_pdf_tells_the_masked_elder_the_scores_and_the_levels(county_officer, record, elder):
    for url in urls(record)[1:]:
        response = client_for(county_officer).get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/pdf"
        pages = pdf_pages(response.content)
        assert len(pages) == 2
        text = "".join(pages)
        assert "老年人能力评估报告" in text and "张华山" in text
        assert elder.id_number not in text and f"{elder.id_number[:4]}*************{elder.id_number[-1]}" in text
        assert "138****1111" in text and "13800001111" not in text
        assert "1945年" in text and "3月8日" not in text
        assert "进食" in text and "社会交往能力" in text and "88 / 90" in text
        assert "能力轻度受损（轻度失能）" in text  # preliminary, from the total
        assert "能力中度受损（中度失能）" in text  # final, raised one level by the diagnosis
        assert "王评估" in text and "赵评估" in text and "2026年1月5日" in text
        assert "第 1 页，共 2 页" in text


def test_reveal_prints_the_full_values_for_a_role_that_may_and_is_audited(county_officer, record, elder):
    before = AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count()
    response = client_for(county_officer).get(urls(record)[1] + "?reveal=1")
    text = "".join(pdf_pages(response.content))
    assert elder.id_number in text and "13800001111" in text and "1945年3月8日" in text
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE).count() == before + 1


def test_the_print_page_is_the_same_layout_with_a_print_button(county_officer, record):
    response = client_for(county_officer).get(urls(record)[0])
    assert response.status_code == 200
    page = response.content.decode()
    assert "@media print" in page and 'id="print-document"' in page and "张华山" in page
    assert f'href="{urls(record)[1]}"' in page
    assert 'id="reveal"' in page
    revealed = client_for(county_officer).get(urls(record)[0] + "?reveal=1").content.decode()
    assert f'href="{urls(record)[1]}?reveal=1"' in revealed and 'id="reveal"' not in revealed


def test_the_record_page_links_to_the_report(county_officer, record):
    page = client_for(county_officer).get(f"/elders/{record.elder_id}/").content.decode()
    assert urls(record)[0] in page and urls(record)[1] in page


def test_the_family_of_a_resident_reads_it_through_the_facility(county_officer, facility_manager, facility, record):
    from yiyang.facilities import services as facilities

    assert client_for(facility_manager).get(urls(record)[1]).status_code == 404
    facilities.admit(Actor(user=county_officer), facility.pk, record.elder_id, date(2026, 1, 1))
    response = client_for(facility_manager).get(urls(record)[1])
    assert response.status_code == 200 and "张华山" in "".join(pdf_pages(response.content))


@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", "other_facility_manager", None])
def test_outsiders_get_404_and_anonymous_the_login(request, record, who):
    user = request.getfixturevalue(who) if who else None
    for url in urls(record):
        response = client_for(user).get(url)
        if user is None:
            assert response.status_code == (401 if url.startswith("/api/") else 302), url
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 404, (who, url)


def test_an_assessment_of_another_elder_is_not_found_under_this_one(county_officer, record, make_elder):
    other = make_elder(name="刘桂兰")
    response = client_for(county_officer).get(f"/elders/{other.pk}/assessments/{record.pk}/report.pdf")
    assert response.status_code == 404


def test_a_viewer_without_the_right_prints_masked_values_even_when_asking(make_user, record, elder):
    from yiyang.core.roles import Role

    viewer = make_user(Role.VIEWER, region_code="411002000000")
    response = client_for(viewer).get(urls(record)[2] + "?reveal=true")
    text = "".join(pdf_pages(response.content))
    assert response.status_code == 200 and "张华山" in text
    assert elder.id_number not in text and "13800001111" not in text
    assert 'id="reveal"' not in client_for(viewer).get(urls(record)[0]).content.decode()
