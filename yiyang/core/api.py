"""Shared pieces of the REST API: error format, pagination, authentication (DESIGN.md §6)."""

from typing import Generic, TypeVar

from django.conf import settings
from ninja import Schema

from .audit import Actor, Interface

T = TypeVar("T")


def api_actor(request) -> Actor:
    """Who acts in an API request, recorded as coming through the API."""
    return Actor.from_request(request, Interface.API)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int


def paginate(queryset, page: int, page_size: int) -> dict:
    """Page `queryset` (1-based `page`), capping the page size at the platform maximum."""
    # Far-out page numbers would overflow the database's OFFSET; nobody pages beyond a million.
    page = min(max(page, 1), 1_000_000)
    page_size = max(1, min(page_size, settings.API_MAX_PAGE_SIZE))
    start = (page - 1) * page_size
    return {
        "items": list(queryset[start : start + page_size]),
        "count": queryset.count(),
        "page": page,
        "page_size": page_size,
    }


def validation_fields(errors: list[dict]) -> dict[str, str]:
    """Turn pydantic/ninja error entries into {field: reason}, in Chinese where we know the type."""
    messages = {
        "missing": "必填",
        "string_too_long": "内容过长",
        "string_too_short": "内容过短",
        "int_parsing": "应为整数",
        "float_parsing": "应为数字",
        "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
        "date_parsing": "应为日期（YYYY-MM-DD）",
        "greater_than_equal": "数值过小",
        "less_than_equal": "数值过大",
        "enum": "不是可选值之一",
        "literal_error": "不是可选值之一",
    }
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload", "form")]
        name = ".".join(loc) or "__all__"
        fields[name] = messages.get(error.get("type", ""), error.get("msg", "无效"))
    return fields


def region_code_param(raw: str, field: str = "region") -> str:
    """A region code from a query or body, normalised to 12 digits, or a 422 naming the field."""
    from .errors import FieldErrors
    from .regioncodes import InvalidRegionCode, normalize

    try:
        return normalize(raw)
    except InvalidRegionCode as exc:
        raise FieldErrors({field: str(exc)}) from None
