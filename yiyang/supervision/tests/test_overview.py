"""The 民政监管 landing page counts what waits for action, within the user's scope only."""

from datetime import date, timedelta

from yiyang.supervision.models import Hazard

from .conftest import client_for


def figures(page) -> dict:
    return {card.title: dict(card.figures) for card in page.context["cards"]}


def test_the_landing_page_counts_hazards_waiting_and_overdue(county_officer, hazard):
    Hazard.objects.filter(pk=hazard.pk).update(deadline=date.today() - timedelta(days=1))
    page = client_for(county_officer).get("/supervision/")
    assert page.status_code == 200
    assert figures(page)["隐患整改台账"] == {"待整改": 1, "待核验": 0, "逾期未销号": 1}
    assert "运营补贴" in figures(page) and "投诉处理" in figures(page)


def test_a_neighbour_counts_nothing_of_another_county(neighbour_officer, other_facility_manager, hazard):
    for user in (neighbour_officer, other_facility_manager):
        assert figures(client_for(user).get("/supervision/"))["隐患整改台账"]["待整改"] == 0


def test_the_menu_shows_one_supervision_entry(county_officer, make_user):
    from yiyang.core.roles import Role

    labels = [item["label"] for item in client_for(county_officer).get("/").context["nav_items"]]
    assert labels.count("民政监管") == 1 and "隐患台账" not in labels
    family = make_user(Role.FAMILY, region_code="411002001001", scope_id=1)
    assert client_for(family).get("/supervision/").status_code == 403
    assert "民政监管" not in [item["label"] for item in client_for(family).get("/").context["nav_items"]]
