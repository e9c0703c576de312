"""The landing page of 民政监管: one card per area the user may open, with what waits for action."""

from django.shortcuts import render

from yiyang.core.access import requires

from ..services import overview


# One permission per card of overview.cards: a user holding none of them has no card to open.
@requires(
    "supervision.view_hazard",
    "supervision.view_inspection",
    "supervision.view_subsidyclaim",
    "supervision.view_ratingapplication",
    "supervision.view_escrowalert",
    "supervision.view_complaint",
    "providers.view_staff",
    "supervision.view_pairing",
)
def index_view(request):
    cards = overview.cards(request.user)
    return render(request, "supervision/index.html", {"cards": cards})
