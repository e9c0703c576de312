"""Region pickers and region names for pages: cascading selects on a form's region code field
(static/yiyang/regionpicker.js, reading the regions API, which lists only the children within the
user's scope), and the names of the regions a list page shows, in one query."""

from yiyang.core.scoping import home_region

from .models import Region


def pick_regions(form, user, field: str, depth: str) -> None:
    """Draw `field` as cascading selects from the user's own region down; `depth` "5" asks for a
    community, "any" takes any level (a filter)."""
    root = home_region(user) or Region.objects.filter(level=1).order_by("code").values_list("code", flat=True).first()
    if root:
        form.fields[field].widget.attrs.update({"data-region-picker": depth, "data-region-root": root})


def region_names(codes) -> dict[str, str]:
    """{code: name} of the regions named in a page's rows."""
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))
