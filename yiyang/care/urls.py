from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("console/", views.console_view, name="console"),
    path("console/queue/", views.queue_view, name="queue"),
    path("console/call/", views.call_view, name="call"),
    path("console/open/", views.open_view, name="open"),
    path("alarms/", views.mine_view, name="mine"),
    path("alarms/<int:alarm_id>/", views.alarm_view, name="alarm"),
    path("alarms/<int:alarm_id>/<str:step>/", views.step_view, name="step"),
    path("inactivity/", views.inactivity_view, name="inactivity"),
    path("inactivity/<int:rule_id>/delete/", views.inactivity_delete_view, name="inactivity_delete"),
    path("respond/", views.responder_view, name="responder"),
    path("respond/<int:alarm_id>/", views.respond_view, name="respond"),
]
