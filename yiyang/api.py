"""The REST API root: /api/v1/..., OpenAPI docs at /api/docs, one router per app."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yiyang.accounts.auth import api_auth
from yiyang.core.api import validation_fields
from yiyang.core.errors import DomainError

api = NinjaAPI(
    title="颐养 智慧养老服务平台 API",
    version="1",
    description="按用户的管辖范围返回数据；会话（需 CSRF）或 Bearer 接口令牌认证。错误格式：{code, message, fields}。",
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    body = {"code": "invalid", "message": "提交的信息有误，请按提示修改", "fields": validation_fields(exc.errors)}
    return api.create_response(request, body, status=422)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, {"code": "not_found", "message": "记录不存在或不在您的管辖范围内", "fields": {}}, status=404
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(
        request, {"code": "forbidden", "message": "您没有执行该操作的权限", "fields": {}}, status=403
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja's own refusals (the session's CSRF check above all) in the platform's error format.
    if exc.status_code == 403 and "CSRF" in str(exc):
        body = {"code": "csrf_failed", "message": "CSRF 校验失败：请刷新页面后重试，或改用接口令牌", "fields": {}}
    else:
        body = {"code": "error", "message": str(exc), "fields": {}}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"code": "unauthenticated", "message": "请先登录或提供有效的接口令牌", "fields": {}}, status=401
    )


def _add_routers():
    from yiyang.analytics.api import router as analytics_router
    from yiyang.benefits.api import router as benefits_router
    from yiyang.care.api import router as care_router
    from yiyang.elders.api import router as elders_router
    from yiyang.exchange.api import router as exchange_router
    from yiyang.facilities.api import router as facilities_router
    from yiyang.homecare.api import router as homecare_router
    from yiyang.imports.api import router as imports_router
    from yiyang.regions.api import router as regions_router
    from yiyang.renovation.api import router as renovation_router
    from yiyang.servicemap.api import nearby_router, public_router
    from yiyang.servicemap.api import router as map_router
    from yiyang.supervision.api import router as supervision_router
    from yiyang.visits.api import router as visits_router

    api.add_router("/v1/regions", regions_router)
    api.add_router("/v1/elders", elders_router)
    api.add_router("/v1/facilities/nearby", nearby_router)
    api.add_router("/v1/facilities", facilities_router)
    api.add_router("/v1/public", public_router)
    api.add_router("/v1/map", map_router)
    api.add_router("/v1/analytics", analytics_router)
    api.add_router("/v1/homecare", homecare_router)
    api.add_router("/v1/care", care_router)
    api.add_router("/v1/renovation", renovation_router)
    api.add_router("/v1/benefits", benefits_router)
    api.add_router("/v1/supervision", supervision_router)
    api.add_router("/v1/visits", visits_router)
    api.add_router("/v1/imports", imports_router)
    api.add_router("/v1/exchange", exchange_router)


_add_routers()
