from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("app/", views.app_view, name="app"),
    path("app/manifest.webmanifest", views.manifest_view, name="manifest"),
    path("app/sw.js", views.worker_view, name="worker"),
    path("app/icon.svg", views.icon_view, name="icon"),
    path("", views.targets_view, name="targets"),
    path("targets/<int:target_id>/", views.target_view, name="target"),
    path("enrol/<int:elder_id>/", views.enrol_view, name="enrol"),
    path("rate/", views.rate_view, name="rate"),
    path("visitors/", views.visitors_view, name="visitors"),
    path("findings/", views.findings_view, name="findings"),
    path("records/<uuid:visit_id>/", views.visit_view, name="visit"),
    path("photos/<int:photo_id>/", views.photo_view, name="photo"),
    path("campaigns/", views.campaigns_view, name="campaigns"),
    path("conflicts/", views.conflicts_view, name="conflicts"),
]
