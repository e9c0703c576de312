from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy: scripts only from our own static files, no framing.

    Map tiles may come from a configured tile server (MAP_TILE_ORIGINS), so images allow those origins.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        tile_origins = " ".join(getattr(settings, "MAP_TILE_ORIGINS", []))
        self.policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: blob: {tile_origins}".strip(),
                "font-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RejectNullCharactersMiddleware:
    """Refuse a request whose query or JSON body carries a NUL character, naming the field.

    NUL is never valid input here, and PostgreSQL can neither store nor compare it: a filter such as
    `?status=%00` would otherwise end in a server error. Form posts are already covered by Django's
    form fields (ProhibitNullCharactersValidator); multipart uploads are not read here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._field_with_nul(request)
        if field is None:
            return self.get_response(request)
        message = "输入中含有不允许的空字符（NUL）"
        if request.path.startswith("/api/"):
            body = {"code": "invalid", "message": message, "fields": {field: "不能包含空字符"}}
            return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
        return HttpResponseBadRequest(message)

    @staticmethod
    def _field_with_nul(request) -> str | None:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key
        if request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
            if b"\x00" in request.body or b"\\u0000" in request.body.lower():
                return "body"
        return None
