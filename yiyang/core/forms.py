"""Showing a refused operation (DomainError) on the page form that submitted it."""

from .errors import DomainError


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
