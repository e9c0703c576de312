from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("export.xlsx", views.export_view, name="export"),
    path("targets/", views.set_target_view, name="set-target"),
    path("screen/", views.screen_page, name="screen"),
    path("reports/", views.request_report_view, name="request-report"),
    path("reports/<int:report_id>/file/", views.report_file, name="report-file"),
    path("reports/<int:report_id>/print/", views.report_print_view, name="report-print"),
    path("reports/<int:report_id>/report.pdf", views.report_pdf_view, name="report-pdf"),
]
