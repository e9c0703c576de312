"""Masking of sensitive personal information for display (DESIGN.md §5)."""


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """Keep the first six characters (usually district and street), hide house numbers."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "****"


def mask_text(value: str) -> str:
    return "****" if value else ""
