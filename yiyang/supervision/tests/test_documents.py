"""Printed documents of supervision: the rectification notice of an inspection, a subsidy claim with its
evidence lines and the cadre pairing board, each as a print page and as a PDF from the pages and the API,
with the Chinese text extracted from the PDF, and 404 for everyone outside the row's scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import pdf_pages
from yiyang.core.audit import Actor
from yiyang.supervision.models import SubsidyClaim
from yiyang.supervision.services import pairing as pairing_services
from yiyang.supervision.services import subsidies

from .conftest import PNG, assert_refused_to, client_for
from .test_pairing import cadre, cadre_user, other_cadre, pairing  # noqa: F401
from .test_subsidies import MONTH, rates, resident  # noqa: F401

OUTSIDERS = ["neighbour_officer", "other_city_officer", "other_facility_manager", None]


def notice_urls(inspection_id):
    return [f"/supervision/inspections/{inspection_id}/notice/", f"/supervision/inspections/{inspection_id}/notice.pdf",
            f"/api/v1/supervision/inspections/{inspection_id}/notice.pdf"]  # fmt: skip


def claim_urls(claim_id):
    return [f"/supervision/subsidies/{claim_id}/print/", f"/supervision/subsidies/{claim_id}/claim.pdf",
            f"/api/v1/supervision/subsidy-claims/{claim_id}/claim.pdf"]  # fmt: skip


def board_urls(facility_id):
    return [f"/supervision/pairing/board/{facility_id}/", f"/supervision/pairing/board/{facility_id}/board.pdf",
            f"/api/v1/supervision/pairing/facilities/{facility_id}/board.pdf"]  # fmt: skip


def pdf_of(user, url) -> list[str]:
    response = client_for(user).get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/pdf"
    return pdf_pages(response.content)


# --- The rectification notice --------------------------------------------------------------------


def test_the_notice_lists_each_hazard_with_item_severity_deadline_and_person(county_officer, facility_manager, hazard):
    for user in (county_officer, facility_manager):
        for url in notice_urls(hazard.inspection_id)[1:]:
            pages = pdf_of(user, url)
            assert len(pages) == 1
            text = pages[0]
            assert "整改通知书" in text and "花园康养中心" in text
            assert "疏散通道畅通" in text and "二楼疏散通道堆放杂物" in text and "重大隐患" in text
            assert f"{hazard.deadline:%Y}年{hazard.deadline.month}月{hazard.deadline.day}日" in text
            assert "张院长" in text and "王科长、李干事" in text and "魏都区民政局" in text
            assert "（盖章）" in text and "签收" in text


def test_the_notice_page_prints_and_links_its_pdf(county_officer, hazard):
    page = client_for(county_officer).get(notice_urls(hazard.inspection_id)[0]).content.decode()
    assert "@media print" in page and "整改通知书" in page and notice_urls(hazard.inspection_id)[1] in page
    detail = client_for(county_officer).get(f"/supervision/inspections/{hazard.inspection_id}/").content.decode()
    assert notice_urls(hazard.inspection_id)[0] in detail


def test_an_inspection_not_yet_carried_out_has_no_notice(county_officer, inspection):
    for url in notice_urls(inspection.pk):
        assert client_for(county_officer).get(url).status_code == 404


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_no_notice(request, hazard, who):
    user = request.getfixturevalue(who) if who else None
    for url in notice_urls(hazard.inspection_id):
        assert_refused_to(user, client_for(user).get(url), url)


# --- The subsidy claim ---------------------------------------------------------------------------


@pytest.fixture
def claim(county_officer, facility, rates, make_elder):  # noqa: F811
    resident(make_elder, facility, level=3, name="甲秀英")
    resident(make_elder, facility, level=1, name="乙建华")
    subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    return SubsidyClaim.objects.get()


def test_the_claim_prints_with_its_evidence_lines(county_officer, facility_manager, claim):
    for user in (county_officer, facility_manager):
        for url in claim_urls(claim.pk)[1:]:
            pages = pdf_of(user, url)
            assert len(pages) == 1
            text = pages[0]
            assert "养老机构运营补贴申报表" in text and "花园康养中心" in text and "2026年10月" in text
            assert "魏都区养老机构运营补贴" in text and "魏民〔2026〕1号" in text
            assert "甲秀英" in text and "乙建华" in text and "重度失能" in text and "轻度失能" in text
            assert "护理型床位加补" in text and "350.00" in text  # 200 + 100 + 50 yuan
            assert "县级民政部门审核意见" in text


def test_the_claim_page_prints_and_the_claim_links_it(county_officer, claim):
    page = client_for(county_officer).get(claim_urls(claim.pk)[0]).content.decode()
    assert "@media print" in page and "甲秀英" in page and claim_urls(claim.pk)[1] in page
    detail = client_for(county_officer).get(f"/supervision/subsidies/{claim.pk}/").content.decode()
    assert claim_urls(claim.pk)[0] in detail


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_no_claim(request, claim, who):
    user = request.getfixturevalue(who) if who else None
    for url in claim_urls(claim.pk):
        assert_refused_to(user, client_for(user).get(url), url)


# --- The pairing board ---------------------------------------------------------------------------


def test_the_board_pdf_shows_the_cadres_and_their_photos(county_officer, facility_manager, pairing, cadre, facility):  # noqa: F811
    pairing_services.set_photo(Actor(user=county_officer), cadre.pk, SimpleUploadedFile("p.png", PNG))
    for user in (county_officer, facility_manager):
        for url in board_urls(facility.pk)[1:]:
            response = client_for(user).get(url)
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            pages = pdf_pages(response.content)
            assert len(pages) == 1
            text = pages[0]
            assert "花园康养中心" in text and "包联干部公示" in text
            assert "王建国" in text and "区民政局副局长" in text and "李志强" in text
            assert "139****1234" in text and "13900001234" not in text  # masked unless the bureau reveals
            assert b"/Subtype /Image" in response.content or b"/Subtype/Image" in response.content


def test_the_bureau_prints_the_board_with_full_phones_audited(county_officer, facility_manager, pairing, facility):  # noqa: F811
    from yiyang.core.models import AuditEntry

    reveals = AuditEntry.objects.filter(action="view_sensitive", object_type="supervision.cadre")
    page_url, pdf_url, api_url = board_urls(facility.pk)
    text = pdf_pages(client_for(county_officer).get(pdf_url + "?reveal=1").content)[0]
    assert "13900001234" in text
    assert reveals.count() == 2  # one entry per cadre revealed
    manager_text = pdf_pages(client_for(facility_manager).get(pdf_url + "?reveal=1").content)[0]
    assert "13900001234" not in manager_text and reveals.count() == 2


def test_the_board_page_prints_and_links_its_pdf(facility_manager, pairing, facility):  # noqa: F811
    page = client_for(facility_manager).get(board_urls(facility.pk)[0]).content.decode()
    assert "@media print" in page and "王建国" in page and board_urls(facility.pk)[1] in page


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_no_board(request, pairing, facility, who):  # noqa: F811
    user = request.getfixturevalue(who) if who else None
    for url in board_urls(facility.pk):
        assert_refused_to(user, client_for(user).get(url), url)


def test_a_document_loads_nothing_from_outside(tmp_path):
    """A stored text cannot make the renderer read a local file or call an address."""
    from weasyprint import HTML

    from yiyang.core import pdf

    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    style = tmp_path / "style.css"
    style.write_text('p::after { content: "机密"; }')
    html = f'<p>甲</p><img src="file://{secret}"><link rel="stylesheet" href="file://{style}">'
    with pytest.raises(ValueError):
        pdf.url_fetcher().fetch(f"file://{secret}")
    content = HTML(string=html, url_fetcher=pdf.url_fetcher()).write_pdf()
    assert "机密" not in "".join(pdf_pages(content))
    assert b"/Subtype /Image" not in content and b"/Subtype/Image" not in content
