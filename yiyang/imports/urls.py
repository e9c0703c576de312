from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("import/<str:kind>/", views.import_page, name="import"),
    path("import/<str:kind>/upload/", views.upload, name="upload"),
    path("import/<str:kind>/template.xlsx", views.template_download, name="template"),
    path("import/<str:kind>/mappings/<int:mapping_id>/delete/", views.forget_mapping, name="forget_mapping"),
    path("jobs/<int:job_id>/", views.job_page, name="job"),
    path("jobs/<int:job_id>/confirm/", views.confirm, name="confirm"),
    path("jobs/<int:job_id>/mapping/", views.map_columns, name="mapping"),
    path("jobs/<int:job_id>/resume/", views.resume, name="resume"),
    path("jobs/<int:job_id>/cancel/", views.cancel, name="cancel"),
    path("jobs/<int:job_id>/errors.xlsx", views.error_report, name="errors"),
]
