"""Error pages in the site's layout and in Chinese; under /api/ the API's JSON error format instead
({"code", "message", "fields"}), so that a client of the API never has to read an HTML page."""

import logging

from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

MESSAGES = {
    400: ("bad_request", "请求有误，请检查后重试"),
    403: ("forbidden", "您没有执行该操作的权限"),
    404: ("not_found", "页面不存在或不在您的管辖范围内"),
    500: ("server_error", "服务器出错了，请稍后再试；问题已记录"),
    "csrf": ("csrf_failed", "页面已过期或来源无法验证，请刷新页面后重新提交"),
}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _answer(request, status: int, key, template: str, *, plain: bool = False):
    code, message = MESSAGES[key]
    if _is_api(request):
        if key == 404:
            message = "记录不存在或不在您的管辖范围内"
        return JsonResponse({"code": code, "message": message, "fields": {}}, status=status,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    context = {"status": status, "message": message}
    try:
        # The page in the site's layout (menu and all); a server error draws it without the request's
        # context, which may be what failed.
        body = loader.render_to_string(template, context, request=None if plain else request)
    except Exception:  # noqa: BLE001 - an error page must never fail in turn
        logger.exception("error page %s could not be drawn", template)
        body = f'<!DOCTYPE html><html lang="zh-hans"><meta charset="utf-8"><title>{message}</title><p>{message}</p><p><a href="/">返回首页</a></p>'
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return _answer(request, 400, 400, "errors/400.html")


def permission_denied(request, exception=None):
    return _answer(request, 403, 403, "errors/403.html")


def page_not_found(request, exception=None):
    return _answer(request, 404, 404, "errors/404.html")


def server_error(request):
    return _answer(request, 500, 500, "errors/500.html", plain=True)


def csrf_failure(request, reason=""):
    return _answer(request, 403, "csrf", "errors/csrf.html")
