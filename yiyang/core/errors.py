"""Domain errors shared by services, pages and the API (DESIGN.md §6 error format)."""


class DomainError(Exception):
    """A refused operation, with a Chinese message for the user and per-field reasons."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class FieldErrors(DomainError):
    """Input that fails validation; `fields` maps each field name to its reason."""

    status = 422

    def __init__(self, fields: dict[str, str], message: str = ""):
        # One wrong field: its reason is the message; several: point to the fields.
        if not message:
            message = next(iter(fields.values())) if len(fields) == 1 else "提交的信息有误，请按提示修改"
        super().__init__(message, fields, code="invalid")


class Conflict(DomainError):
    status = 409
    code = "conflict"


class OutOfScope(DomainError):
    """A write that would move a row outside the acting user's scope."""

    status = 403
    code = "out_of_scope"
