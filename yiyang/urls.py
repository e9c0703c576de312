from django.contrib import admin
from django.urls import include, path

from . import views
from .api import api

admin.site.site_header = admin.site.site_title = "颐养平台后台"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("yiyang.accounts.urls")),
    path("regions/", include("yiyang.regions.urls")),
    path("elders/", include("yiyang.elders.urls")),
    path("facilities/", include("yiyang.facilities.urls")),
    path("exchange/", include("yiyang.exchange.urls")),
    path("exchange/", include("yiyang.imports.urls")),  # the imports app keeps its old paths (bookmarks, docs)
    path("map/", include("yiyang.servicemap.urls")),
    path("homecare/", include("yiyang.homecare.urls")),
    path("care/", include("yiyang.care.urls")),
    path("renovation/", include("yiyang.renovation.urls")),
    path("benefits/", include("yiyang.benefits.urls")),
    path("visits/", include("yiyang.visits.urls")),
    path("supervision/", include("yiyang.supervision.urls")),
    path("analytics/", include("yiyang.analytics.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Error pages in the site's layout; JSON under /api/ (yiyang/errors.py).
handler400 = "yiyang.errors.bad_request"
handler403 = "yiyang.errors.permission_denied"
handler404 = "yiyang.errors.page_not_found"
handler500 = "yiyang.errors.server_error"
