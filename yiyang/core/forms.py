"""Page forms: whether a page's form was submitted, and showing a refused operation (DomainError) on
the form that submitted it."""

from django.core.exceptions import PermissionDenied

from .errors import DomainError


def submitted(request, form) -> bool:
    """Whether a valid form was posted to a page that offers one: False for a GET or a form with
    errors (the page shows them); 403 for a POST when the page offers this user no form (`form` is
    None because the user lacks the right to submit it)."""
    if request.method != "POST":
        return False
    if form is None:
        raise PermissionDenied
    return form.is_valid()


def apply_errors(form, exc: DomainError, rename=None) -> None:
    """Attach each field's reason to the form field of that name (after `rename`), the rest and the
    overall message to the form as a whole."""
    placed = False
    for name, reason in exc.fields.items():
        target = rename(name) if rename else name
        if target in form.fields:
            form.add_error(target, reason)
            placed = True
        else:
            form.add_error(None, f"{name}：{reason}")
    # A refusal other than invalid input (a conflict, a scope violation) says more than its fields do.
    if not placed or not exc.fields or exc.code != "invalid":
        form.add_error(None, exc.message)
