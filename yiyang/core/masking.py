"""Masking and revealing sensitive personal information (DESIGN.md §5): one mechanism for every app.

A model declares which of its fields are sensitive, of which kind, and which permission reveals them:

    class Elder(models.Model):
        ...
        sensitive = Sensitive({"id_number": Kind.ID_NUMBER, "phone": Kind.PHONE}, "elders.view_sensitive_elder")

Pages, the API and exports show such fields through `shown` (or `masked` for lists and `export_values`
for exports), which all answer in one shape; `reveal` / `reveal_fields` are the only ways to the full
values on request: they check the right through the scoping mechanism (the row must be visible to the
user, else 404; the reveal permission must cover it, else 403) and write one audit entry.

Each kind has one masker (`mask(kind, value)`); all accept empty and full-width input:
- ID number: the first 4 characters (province and prefecture) and the final check character only,
  e.g. `4101*************X`.
- phone: mobiles keep the first 3 and last 4 digits (`138****5678`); landlines keep the area code and
  the last 4 digits (`0371-****5678`); numbers of 7 digits or more without an area code keep the last 4;
  shorter numbers are hidden entirely.
- address: the region part (province … community/village) is kept, the rest (road, house number) is
  hidden (`河南省郑州市金水区****`); an address without a recognisable region part is hidden entirely.
- bank account: the last 4 digits only (`************5678`); 8 characters or fewer are hidden entirely.
- coordinates: omitted (None). A home's point rounded to 2 decimals still lies within about 500 m of
  the door, and with the community shown beside it the rounding hides little; a masked reader places
  the person by the community, whose own coordinates the regions tree holds.
- name: the family name only (`张**`).
- text (health notes and other free text): hidden (`****`).

The no-reconstruction rule. A masked value must not let the full value be rebuilt from what the same
page or API response shows beside it. The one real case is the ID number on an elder's page: an ID is
6 digits of address code, 8 of birth date, 3 of sequence (the last of them odd for men, even for women)
and a check character computed from the other 17. The elder's page shows the birth date, the sex and
the community code (whose first 6 digits are usually the ID's address code) unmasked. So the ID mask
must hide the whole sequence: with birth date, county and last 4 shown side by side, every digit would
be known. Showing the check character leaves 500 sequences (sex known) of which about 45 fit it; that
is as far as the masked ID may go. Phones, addresses and bank numbers share no digits with the ID or
with each other, so their masks add nothing to it. A home's coordinates are not shown masked at all
(the community is), and a cadre's or a contact's phone follows the phone mask. Any new page that shows a masked value next to
other fields must keep the combination below a unique answer; the elder tests check this.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, Value, When
from django.http import Http404

from . import audit
from .models import AuditAction
from .scoping import may, scope_condition

HIDDEN = "****"


class Kind(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    ADDRESS = "address"
    BANK_ACCOUNT = "bank_account"
    COORDINATE = "coordinate"
    NAME = "name"
    TEXT = "text"


def _plain(value) -> str:
    """Full-width digits, letters and spaces as ASCII; surrounding spaces dropped."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def mask_id_number(value: str) -> str:
    text = _plain(value).replace(" ", "").upper()
    if not text:
        return ""
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 5) + text[-1]


_AREA_CODE = re.compile(r"0(?:10|2\d|[3-9]\d{2})")


def mask_phone(value: str) -> str:
    text = _plain(value)
    if not text:
        return ""
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86") or (len(digits) == 13 and digits.startswith("86")):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    area = _AREA_CODE.match(digits) if digits.startswith("0") else None
    if area and len(digits) - area.end() >= 7:
        local = digits[area.end() :]
        return f"{area.group()}-" + "*" * (len(local) - 4) + local[-4:]
    if len(digits) >= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * max(len(digits), 3)


# Region names end in one of these (statistical division levels down to community and village); the
# region part of an address is the longest run of them before the first digit.
_REGION_PART = re.compile(
    r"(?:[^\d\s]{1,12}?(?:特别行政区|自治区|自治州|自治县|地区|街道|社区|居委会|村委会|嘎查|苏木"
    r"|省|(?<![超菜])市|州|盟|(?<![小园校景厂营])区|县|旗|镇|乡|村))+"
)


def mask_address(value: str) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    match = _REGION_PART.match(text)
    return (text[: match.end()] if match else "") + HIDDEN


def mask_bank_account(value: str) -> str:
    text = _plain(value).replace(" ", "").replace("-", "")
    if not text:
        return ""
    if len(text) <= 8:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def mask_coordinate(value) -> None:
    return None


def mask_name(value: str) -> str:
    text = str(value or "").strip()
    return text[:1] + "**" if text else ""


def mask_text(value: str) -> str:
    return HIDDEN if str(value or "").strip() else ""


MASKERS = {
    Kind.ID_NUMBER: mask_id_number,
    Kind.PHONE: mask_phone,
    Kind.ADDRESS: mask_address,
    Kind.BANK_ACCOUNT: mask_bank_account,
    Kind.COORDINATE: mask_coordinate,
    Kind.NAME: mask_name,
    Kind.TEXT: mask_text,
}


def mask(kind: str, value):
    """`value` as shown to a user who may not see it in full."""
    return MASKERS[Kind(kind)](value)


# --- Declaring sensitive fields -------------------------------------------------------------------


@dataclass(frozen=True)
class Sensitive:
    """A model's sensitive fields ({field name: Kind}) and the permission that reveals them, e.g.
    "elders.view_sensitive_elder"; the permission is checked against the row through the model's
    `ScopeSpec`, like any other action. `label` names the fields in the audit log."""

    fields: Mapping[str, Kind]
    permission: str
    label: str = ""
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(self.fields))


def spec_of(model_or_obj) -> Sensitive:
    spec = getattr(model_or_obj, "sensitive", None)
    if not isinstance(spec, Sensitive):
        raise TypeError(f"{model_or_obj} declares no sensitive fields")
    return spec


def _fields(spec: Sensitive, fields: Iterable[str] | None) -> tuple[str, ...]:
    if fields is None:
        return spec.names
    names = tuple(fields)
    unknown = set(names) - set(spec.names)
    if unknown:
        raise ValueError(f"not declared sensitive: {sorted(unknown)}")
    return names


@dataclass(frozen=True)
class Shown:
    """Sensitive values as one user sees them. `values` maps each field to its masked or full value;
    `revealed` tells which; `may_reveal` whether this user could ask for the full values (asked of the
    database only when read, so that a list of masked rows costs no query per row)."""

    values: dict
    revealed: bool = False
    check: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def may_reveal(self) -> bool:
        return self.revealed or bool(self.check and self.check())

    def __getitem__(self, name):
        return self.values[name]


def masked(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """{field: masked value}: what lists and anyone without the right see."""
    spec = spec_of(obj)
    return {name: mask(spec.fields[name], getattr(obj, name)) for name in _fields(spec, fields)}


def may_reveal(user, obj: models.Model) -> bool:
    """Whether the user's role and scope grant the full values of this row."""
    return may(user, obj, spec_of(obj).permission)


def reveal_fields(actor: audit.Actor, obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """{field: full value} after checking the right and writing one audit entry.

    404 when the user may not even see the row (its existence does not leak), 403 when they may see
    it but not in full.
    """
    spec = spec_of(obj)
    names = _fields(spec, fields)
    if not may(actor.user, obj, "view"):
        raise Http404
    if not may_reveal(actor.user, obj):
        raise PermissionDenied
    repr_ = f"查看{spec.label}：{obj}" if spec.label else ""
    audit.record(actor, AuditAction.VIEW_SENSITIVE, obj, object_repr=repr_, changes={"fields": list(names)})
    return {name: getattr(obj, name) for name in names}


def reveal(actor: audit.Actor, obj: models.Model, field: str):
    """The full value of one sensitive field (checked and audited, see `reveal_fields`)."""
    return reveal_fields(actor, obj, [field])[field]


# --- Reveal rules: a narrower way to some full values than the model's permission ------------------------
#
# Some people need one sensitive value of a row they may not otherwise read in full, for as long as
# their work calls for it: the caregiver sent to an elder's home calls the elder. A rule names the
# fields, the model, and the test of the user and the row; the app whose work it is registers it (core
# imports no app). `reveal_by_rule` is then the only way to those values: the rule must hold (else 404:
# the row is none of the user's business), and each reveal writes the one audit entry, naming the rule.


@dataclass(frozen=True)
class RevealRule:
    name: str
    model: type[models.Model]
    fields: tuple[str, ...]
    applies: Callable[..., bool]  # (user, obj) -> whether the rule reveals this row's fields to the user
    label: str = ""


_RULES: dict[str, RevealRule] = {}


def register_rule(rule: RevealRule) -> None:
    unknown = set(rule.fields) - set(spec_of(rule.model).names)
    if unknown:
        raise ValueError(f"not declared sensitive: {sorted(unknown)}")
    _RULES[rule.name] = rule


def rule(name: str) -> RevealRule:
    return _RULES[name]


def reveal_by_rule(actor: audit.Actor, obj: models.Model, name: str, fields: Iterable[str] | None = None) -> dict:
    """{field: full value} of the fields rule `name` reveals, after checking that it holds for this user
    and row (404 if not), with one audit entry."""
    found = _RULES[name]
    names = tuple(fields) if fields is not None else found.fields
    if not isinstance(obj, found.model) or set(names) - set(found.fields):
        raise ValueError(f"rule {name} does not reveal {sorted(names)} of {type(obj).__name__}")
    if not found.applies(actor.user, obj):
        raise Http404
    repr_ = f"{found.label}：{obj}" if found.label else ""
    audit.record(
        actor, AuditAction.VIEW_SENSITIVE, obj, object_repr=repr_, changes={"fields": list(names), "rule": name}
    )
    return {field: getattr(obj, field) for field in names}


def shown(actor: audit.Actor, obj: models.Model, *, reveal: bool = False, fields=None) -> Shown:
    """The sensitive values as this user may see them on a page or in an API answer about a row they
    may see: masked, unless `reveal` is asked for and granted (then audited); a reveal asked for
    without the right answers the masked values, as a link followed by the wrong person would."""
    if reveal:
        if may_reveal(actor.user, obj):
            return Shown(reveal_fields(actor, obj, fields), revealed=True)
        return Shown(masked(obj, fields), check=lambda: False)
    return Shown(masked(obj, fields), check=lambda: may_reveal(actor.user, obj))


def with_may_reveal(queryset, user):
    """Annotate `may_reveal` on each row (for exports and lists that unmask row by row)."""
    condition = scope_condition(user, queryset.model, spec_of(queryset.model).permission)
    if condition is None:
        return queryset.annotate(may_reveal=Value(True))
    return queryset.annotate(may_reveal=Case(When(condition, then=Value(True)), default=Value(False)))


def export_values(obj: models.Model, *, reveal: bool, fields=None) -> dict:
    """A row's sensitive values in an export from a queryset annotated by `with_may_reveal`: full only
    where `reveal` was asked for and the row grants it. The export itself is audited once, by the
    caller, naming whether it was unmasked."""
    if reveal and getattr(obj, "may_reveal", False):
        return {name: getattr(obj, name) for name in _fields(spec_of(obj), fields)}
    return masked(obj, fields)


def keep_if_masked(obj: models.Model, name: str, value):
    """The stored value when a client sends back the masked value it was shown (a form or a PUT of a
    read answer); otherwise `value`. A masked value never overwrites the real one."""
    current = getattr(obj, name)
    if current and value == mask(spec_of(obj).fields[name], current):
        return current
    return value
