import json

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


class RejectUnsafeInputMiddleware:
    """Refuse, naming the field, a request whose query or JSON body holds what no field may hold.

    - NUL characters: PostgreSQL can neither store nor compare them (`?status=%00` would end in a
      server error).
    - Lone UTF-16 surrogates (`"\\ud800"` in JSON): valid JSON, but not text; the database driver
      fails to encode them.
    - The JSON constants NaN and Infinity: not JSON at all, though Python's parser accepts them; a
      NaN amount compares false with every limit and slips past range checks.

    One check for every JSON body, so no endpoint has to remember it. Form posts are covered by
    Django's form fields (ProhibitNullCharactersValidator); multipart uploads are not read here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._first_problem(request)
        if problem is None:
            return self.get_response(request)
        field, reason = problem
        message = f"提交的内容无效：{reason}"
        if request.path.startswith("/api/"):
            body = {"code": "invalid", "message": message, "fields": {field: reason}}
            return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
        return HttpResponseBadRequest(message)

    @classmethod
    def _first_problem(cls, request) -> tuple[str, str] | None:
        for key, values in request.GET.lists():
            for text in (key, *values):
                reason = _text_problem(text)
                if reason:
                    return key, reason
        if request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
            return _json_problem(request.body)
        return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "不能包含空字符"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "含有无效的字符编码（孤立的代理字符）"
    return None


_NON_FINITE = object()  # stands in for NaN/Infinity while the body is walked


def _json_problem(body: bytes) -> tuple[str, str] | None:
    """The first field of a JSON body holding a NUL, a lone surrogate or NaN/Infinity; malformed JSON
    is left to the API's own parser, which answers it."""
    try:
        data = json.loads(body, parse_constant=lambda name: _NON_FINITE)
    except ValueError:
        return None
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if value is _NON_FINITE:
            return path or "body", "数值不能为 NaN 或 Infinity"
        if isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                reason = _text_problem(key)
                if reason:
                    return name, reason
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
        elif isinstance(value, str):
            reason = _text_problem(value)
            if reason:
                return path or "body", reason
    return None
