from .services import large_font


def preferences(request):
    """The display settings every page reads (the base layout's <html> class)."""
    return {"large_font": large_font(request)}
