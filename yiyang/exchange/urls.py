from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("apps/", views.app_list, name="apps"),
    path("apps/new/", views.new_app, name="new"),
    path("apps/<int:app_id>/", views.app_status, name="app"),
    path("apps/<int:app_id>/rotate/", views.rotate, name="rotate"),
    path("apps/<int:app_id>/revoke/", views.revoke, name="revoke"),
    path("peers/", views.peer_list, name="peers"),
    path("peers/<int:peer_id>/", views.peer_change, name="peer"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:conflict_id>/<str:decision>/", views.conflict_decide, name="conflict"),
    path("national/", views.national_export, name="national"),
    path("periods/", views.period_list, name="periods"),
    path("periods/open/", views.period_open, name="period_open"),
    path("periods/<int:period_id>/<str:step>/", views.period_step, name="period_step"),
]
