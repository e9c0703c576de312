from django.urls import path

from . import views

app_name = "benefits"
urlpatterns = [
    path("", views.programs_view, name="programs"),
    path("bands/<int:band_id>/", views.band_view, name="band"),
    path("candidates/", views.candidates_view, name="candidates"),
    path("candidates/enrol/", views.enrol_view, name="enrol"),
    path("applications/", views.applications_view, name="applications"),
    path("applications/<int:application_id>/", views.application_view, name="application"),
    path("applications/<int:application_id>/<str:step>/", views.application_step_view, name="application_step"),
    path("documents/<int:document_id>/", views.document_view, name="document"),
    path("apply/", views.apply_view, name="apply"),
    path("apply/submit/", views.submit_view, name="submit"),
    path("recipients/<int:recipient_id>/", views.recipient_view, name="recipient"),
    path("recipients/<int:recipient_id>/change/", views.recipient_change_view, name="recipient_change"),
    path("payrolls/", views.payrolls_view, name="payrolls"),
    path("payrolls/run/", views.run_view, name="run"),
    path("payrolls/<int:payroll_id>/", views.payroll_view, name="payroll"),
    path("payrolls/<int:payroll_id>/bank-file/", views.bank_file_view, name="bank_file"),
    path("payrolls/<int:payroll_id>/result/", views.result_view, name="result"),
    path("payrolls/<int:payroll_id>/<str:step>/", views.payroll_step_view, name="payroll_step"),
    path("stops/", views.stops_view, name="stops"),
    path("stops/upload/", views.stop_upload_view, name="stop_upload"),
    path("stops/<int:batch_id>/", views.stop_view, name="stop"),
    path("recoveries/", views.recoveries_view, name="recoveries"),
    path("recoveries/<int:case_id>/", views.recovery_view, name="recovery"),
    path("recoveries/<int:case_id>/repay/", views.repay_view, name="repay"),
    path("verifications/", views.verifications_view, name="verifications"),
    path("verifications/run/", views.verifications_run_view, name="verifications_run"),
    path("verifications/<int:verification_id>/verify/", views.verify_view, name="verify"),
]
