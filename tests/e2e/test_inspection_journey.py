"""The rectification ledger across a phone and a desk: the inspector records a failed item with a photo
on a 375 px page, the facility uploads evidence, the inspector closes the hazard, the ledger shows it."""

from datetime import date

import pytest

from yiyang.core.audit import Actor
from yiyang.supervision.models import Hazard
from yiyang.supervision.services import inspections

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def login(browser, live_server, username, *, phone=False):
    viewport = {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_inspect_rectify_close(live_server, browser, settings, tmp_path, county_officer, facility, facility_manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    checklist = inspections.save_checklist(
        Actor(user=county_officer), "411002", "安全检查表", [("fire", "疏散通道畅通"), ("food", "食品留样48小时")]
    )
    inspection = inspections.plan_inspection(
        Actor(user=county_officer), facility.pk, checklist.pk, "unannounced", date.today(), "王科长"
    )

    inspector = login(browser, live_server, "weidu-officer", phone=True)
    inspector.goto(f"{live_server.url}/supervision/inspections/{inspection.pk}/")
    inspector.check("input[name='result-fire-01'][value=fail]")
    assert inspector.is_visible("textarea[name='description-fire-01']")  # the details open on 不合格
    inspector.fill("textarea[name='description-fire-01']", "二楼疏散通道堆放杂物")
    inspector.fill("input[name='responsible-fire-01']", "张院长")
    inspector.set_input_files("input[name='photo-fire-01']", files=[{"name": "site.png", "mimeType": "image/png",
                                                                     "buffer": PNG}])  # fmt: skip
    inspector.check("input[name='result-food-02'][value=pass]")
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 375
    inspector.click("#save-results")
    inspector.wait_for_selector("#hazards")
    hazard = Hazard.objects.get()

    manager = login(browser, live_server, facility_manager.username, phone=True)
    manager.goto(f"{live_server.url}/supervision/ledger/")
    manager.click("a:text('二楼疏散通道堆放杂物')")
    manager.fill("#id_rectify-note", "杂物已清理，通道畅通")
    manager.set_input_files("#photos", files=[{"name": "after.png", "mimeType": "image/png", "buffer": PNG}])
    manager.click("#submit-rectification")
    assert "待核验" in manager.text_content("#hazard-status")

    desk = login(browser, live_server, "weidu-officer")
    desk.goto(f"{live_server.url}/supervision/hazards/{hazard.pk}/")
    assert desk.locator(".photos img").count() == 2  # the on-site photo and the evidence
    desk.fill("#verify-note", "现场复核通过")
    desk.click("#close-hazard")
    assert "已销号" in desk.text_content("#hazard-status")
    desk.goto(f"{live_server.url}/supervision/ledger/?region=411002000000&status=")
    assert "已销号" in desk.text_content("#ledger .hazard-status")
    assert desk.text_content("#ledger-summary tbody tr td:nth-child(5)").strip() == "1"
