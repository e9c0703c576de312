"""Money on pages: amounts are stored in fen (DESIGN.md §6) and shown in yuan with two decimals."""

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """12345 -> '123.45'; a dash for no amount."""
    if fen is None or fen == "":
        return "—"
    sign = "-" if int(fen) < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"
