from django.urls import path

from . import views

app_name = "servicemap"
urlpatterns = [
    path("", views.public_map, name="map"),
    path("facilities/<int:facility_id>/", views.public_facility, name="facility"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("coverage/recompute/", views.recompute_view, name="recompute"),
]
