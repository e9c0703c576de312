from django.urls import path

from . import views

app_name = "elders"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.create_view, name="create"),
    path("export.xlsx", views.export_view, name="export"),
    path("<int:elder_id>/", views.detail_view, name="detail"),
    path("<int:elder_id>/edit/", views.edit_view, name="edit"),
    path("<int:elder_id>/assess/", views.assess_view, name="assess"),
    path("<int:elder_id>/assessments/<int:assessment_id>/print/", views.assessment_print_view, name="assessment_print"),
    path("<int:elder_id>/assessments/<int:assessment_id>/report.pdf", views.assessment_pdf_view, name="assessment_pdf"),
]
