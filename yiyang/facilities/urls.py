from django.urls import path

from . import views

app_name = "facilities"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.create_view, name="create"),
    path("export.xlsx", views.export_view, name="export"),
    path("<int:facility_id>/", views.detail_view, name="detail"),
    path("<int:facility_id>/edit/", views.edit_view, name="edit"),
    path("<int:facility_id>/admit/", views.admit_view, name="admit"),
    path("residents/<int:residence_id>/discharge/", views.discharge_view, name="discharge"),
]
