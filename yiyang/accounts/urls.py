from django.contrib.auth import views as auth_views
from django.urls import path

from yiyang.core.access import public

from . import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        public(auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="revoke-token"),
    path("audit/", views.audit_log, name="audit"),
    path("large-font/", views.large_font_view, name="large_font"),
]
