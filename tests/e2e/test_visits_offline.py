"""A grid worker installs the phone app, downloads the list, goes where there is no signal, records three
visits (one with a photo), reloads the page offline and finds them kept, comes back in range and syncs;
the first sync is cut off after the server stored the visits, the second finds nothing new: exactly three
visits on the server. An edit names the version it replaces; a stale one becomes a conflict."""

from datetime import date

import pytest

from conftest import make_id_number
from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.visits import services
from yiyang.visits.choices import VisitorKind
from yiyang.visits.models import Visit, VisitPhoto, VisitTarget

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def _record(page, name, method, *, photo=False, absent=False):
    page.click(f"#target-list li:has-text('{name}') button")
    page.wait_for_selector("#view-form:not([hidden])")
    page.select_option("select[name=method]", method)
    if absent:
        page.uncheck("#elder-present")
        page.select_option("select[name=absent_reason]", "away")
    page.fill("textarea[name=health]", "身体尚可")
    page.check("input[name=hazards][value=gas]")
    page.select_option("select[name=risk_after]", "low")
    if photo:
        page.set_input_files("input[name=photos]", files=[{"name": "p.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#save-visit")
    page.wait_for_selector("#view-list:not([hidden])")


def test_three_visits_recorded_offline_arrive_once(live_server, browser, settings, tmp_path, make_user, make_elder,
                                                   county_officer):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = Actor(user=county_officer)
    worker = make_user(Role.COMMUNITY_WORKER, region_code="411002001000", username="grid-e2e")
    services.register_visitor(officer, {"kind": VisitorKind.GRID_WORKER, "name": "王网格", "user": worker,
                                        "region_code": "411002001000"})  # fmt: skip
    for name in ("孙一", "钱二"):
        make_elder(name=name, id_number=make_id_number(birth=date(1940, 1, 1)), living_situation="alone")
    services.enrol_from_registry(officer, "411002000000")
    assert VisitTarget.objects.filter(visitor__user=worker).count() == 2

    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/visits/app/")
    page.fill("#id_username", "grid-e2e")
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_selector("#visit-app[data-ready='1']")
    # Installed: the manifest is linked and the service worker controls the app after it is ready.
    page.wait_for_function(
        "() => /^(activated|failed)/.test(document.documentElement.dataset.workerState || '')", timeout=60_000
    )
    assert page.evaluate("document.documentElement.dataset.workerState") == "activated"
    page.reload()
    page.wait_for_selector("#visit-app[data-ready='1']")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.wait_for_selector("#target-list li >> nth=1")
    assert page.locator("#target-list li").count() == 2

    context.set_offline(True)
    _record(page, "孙一", "home", photo=True)
    _record(page, "钱二", "phone")
    _record(page, "孙一", "video", absent=True)
    assert page.text_content("#pending-count") == "3"
    assert page.text_content("#network") == "离线"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.reload()  # offline: the shell comes from the worker's cache, the records from IndexedDB
    page.wait_for_selector("#visit-app[data-ready='1']")
    assert page.text_content("#pending-count") == "3"
    assert page.locator("#target-list li").count() == 2
    assert Visit.objects.count() == 0

    # Back in range, the first sync is cut off after the server stored the batch.
    cut = {"done": False}

    def cut_once(route):
        if cut["done"]:
            route.continue_()
            return
        route.fetch()
        cut["done"] = True
        route.abort("connectionreset")

    context.route("**/api/v1/visits/sync", cut_once)
    context.set_offline(False)
    page.wait_for_function("() => document.querySelector('#app-message').textContent.includes('同步中断')")
    assert cut["done"] and Visit.objects.count() == 3
    assert page.text_content("#pending-count") == "3"
    page.click("#sync")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    page.wait_for_function("() => document.querySelector('#photo-count').textContent === '0'")
    assert Visit.objects.count() == 3
    assert sorted(Visit.objects.values_list("method", flat=True)) == ["home", "phone", "video"]
    assert Visit.objects.get(method="video").absent_reason == "away"
    assert VisitPhoto.objects.count() == 1 and VisitPhoto.objects.get().visit.method == "home"

    # An edit of a visit on the server names the version it replaces: version 2.
    def edit(health):
        page.click("#show-outbox")
        page.click("#outbox-list li:has-text('钱二') .edit-record")
        page.wait_for_selector("#view-form:not([hidden])")
        assert page.input_value("select[name=method]") == "phone"
        page.fill("textarea[name=health]", health)
        page.click("#save-visit")
        page.wait_for_selector("#view-list:not([hidden])")
        page.click("#sync")

    edit("感冒")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    phoned = Visit.objects.get(method="phone")
    assert (phoned.version, phoned.health) == (2, "感冒")
    # Meanwhile the record changed on the server: the next edit from the phone is stale, a conflict.
    Visit.objects.filter(pk=phoned.pk).update(version=3)
    edit("发烧")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    page.click("#show-outbox")
    assert "有冲突" in page.text_content("#outbox-list li:has-text('钱二')")
    phoned.refresh_from_db()
    assert (phoned.version, phoned.health) == (3, "感冒") and phoned.conflicts.count() == 1
    assert Visit.objects.count() == 3
    context.close()
