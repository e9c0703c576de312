"""Template filters of supervision pages."""

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen shown as yuan with two decimals and thousands separators."""
    if fen in (None, ""):
        return "—"
    return f"{int(fen) / 100:,.2f}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
