from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.app_list, name="apps"),
    path("new/", views.new_app, name="new"),
    path("<int:app_id>/", views.app_status, name="app"),
    path("<int:app_id>/rotate/", views.rotate, name="rotate"),
    path("<int:app_id>/revoke/", views.revoke, name="revoke"),
]
