"""The landing page of 民政监管: one card per area the user may open, with what waits for action."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from ..services import overview


@login_required
def index_view(request):
    cards = overview.cards(request.user)
    if not cards:
        raise PermissionDenied
    return render(request, "supervision/index.html", {"cards": cards})
