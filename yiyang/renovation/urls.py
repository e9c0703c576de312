from django.urls import path

from . import views

app_name = "renovation"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.new_view, name="new"),
    path("progress/", views.progress_view, name="progress"),
    path("budgets/", views.budgets_view, name="budgets"),
    path("catalogs/", views.catalogs_view, name="catalogs"),
    path("setup/", views.setup_view, name="setup"),
    path("variants/", views.variants_view, name="variants"),
    path("photos/<int:photo_id>/", views.photo_view, name="photo"),
    path("<int:application_id>/", views.detail_view, name="detail"),
    path("<int:application_id>/file/", views.file_view, name="file"),
    path("<int:application_id>/file.pdf", views.file_pdf_view, name="file_pdf"),
    path("<int:application_id>/<str:step>/", views.step_view, name="step"),
]
