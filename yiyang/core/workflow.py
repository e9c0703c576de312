"""The one workflow mechanism (DESIGN.md §6): state machines declared as data, one way to run a
transition, and one way to ask which transitions a user may take on a row now.

An app declares its workflows in its own `workflows.py` and registers them here; core never imports
an app. A transition names the states it may start from, the state it leads to, the permission it
needs (checked through the scoping mechanism, so a row outside the user's scope is never offered),
optionally the level of region the acting officer must sit at, guards that may refuse it with a
Chinese reason, and whether a note is required.

Running a transition (`Workflow.run`, or `lock` then `move` where the service has its own checks in
between) happens inside a transaction: the row alone is locked (`select_for_update(of=("self",))`, so
the rows a `select_related` joins stay free), its current state is checked again after the lock (of
two clicks, the second finds the state already moved and is refused), then the right, the level and
the guards; the new state is set and the immutable step record written. Pages, the API and tests all
read `Workflow.options` / `Workflow.allowed`, so no page lists the next steps again by hand.

Versions (DESIGN.md §2a, "an edit names the version it replaces"). A workflow may name an integer
`version` field of its model: every transition then adds one to it, a caller may name the version it
acted on (`expected_version`) and a stale one is a 409, and a transition that leaves the state as it is
(a re-dispatch: dispatched to dispatched) must name the current version, so that twenty clicks on one
button make one change, not twenty, while a deliberate repeat still goes through.
"""

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models, transaction
from django.db.models import F, Q

from .errors import Conflict, FieldErrors
from .ledger import post_once
from .regioncodes import Level, contains, level_of, region_range_q
from .roles import grants
from .scoping import get_for_action, get_visible_or_404, is_platform_admin, may, memberships_of


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses a transition: a Chinese message, optionally per field and with its own code."""

    message: str
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    code: str = "refused"


# A guard looks at the row (and what the service passes as context, e.g. the day of the step) and
# returns None when the transition may go ahead, else the reason as a string or a Refusal.
Guard = Callable[..., "str | Refusal | None"]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    # None: taken only by the platform's own scheduled work or as part of another transition, never
    # offered to a user.
    permission: str | None
    # The level the acting officer's membership must sit at over the row's region: COUNTY means exactly
    # a county, CITY means a city or above. None: any level the scope reaches.
    level: Level | None = None
    guards: tuple[Guard, ...] = ()
    # The reason shown when the note is left empty; "" when no note is required.
    note_required: str = ""

    def __post_init__(self):
        if isinstance(self.source, str):
            object.__setattr__(self, "source", (self.source,))


@dataclass(frozen=True)
class StepLog:
    """Where a workflow writes its immutable step records (a subclass of core.ledger.DecisionStep):
    `case` is the foreign key to the row. The step's `action` is the transition's name, and the model's
    `from_status` / `to_status` are filled where it has them."""

    model: type[models.Model]
    case: str

    def write(self, actor, obj, transition: Transition, before: str, note: str, at=None) -> None:
        names = {f.name for f in self.model._meta.get_fields()}
        fields = {self.case: obj, "county_code": obj.county_code, "note": note[:1000], **self.model.by_actor(actor)}
        if "action" in names:
            fields["action"] = transition.name
        if "from_status" in names:
            fields["from_status"] = before
        if "to_status" in names:
            fields["to_status"] = transition.target
        if at is not None:
            fields["at"] = at
        # Idempotent where the model has a key; otherwise a plain insert inside the caller's transaction.
        post_once(self.model, **fields)


def _refused_message(obj, transition: Transition, field_name: str) -> str:
    return f"当前状态为“{_display(obj, field_name)}”，不能{transition.label}"


def _display(obj, field_name: str) -> str:
    return getattr(obj, f"get_{field_name}_display")()


@dataclass(frozen=True)
class Option:
    """A transition the user may take on the row now; `refused` holds a guard's reason when it is
    offered but cannot go ahead yet (pages show it disabled with the reason)."""

    transition: Transition
    refused: str = ""

    @property
    def name(self) -> str:
        return self.transition.name

    @property
    def label(self) -> str:
        return self.transition.label


@dataclass(frozen=True)
class Workflow:
    name: str
    model: type[models.Model]
    transitions: tuple[Transition, ...]
    field: str = "status"
    steps: StepLog | None = None
    # How the row is looked up for a transition: True answers 404 to a user who may see the row but
    # not take the transition (orders, inspections); False answers 403 (the supervision cases).
    hide_refused: bool = False
    # The message for a transition the current state does not allow; receives the row and the transition.
    refused_message: Callable[[Any, Transition], str] | None = None
    # The model's integer field counting transitions (optimistic versions, see the module text); None: none.
    version: str | None = None
    by_name: dict[str, Transition] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_name = {t.name: t for t in self.transitions}
        if len(by_name) != len(self.transitions):
            raise ImproperlyConfigured(f"工作流 {self.name} 中有重名的环节")
        object.__setattr__(self, "by_name", by_name)

    # --- The declaration ------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Transition:
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def states(self) -> set[str]:
        return {s for t in self.transitions for s in (*t.source, t.target)}

    def targets_from(self, state: str) -> set[str]:
        """The states a row in `state` may move to by any transition."""
        return {t.target for t in self.transitions if state in t.source}

    # --- Asking -----------------------------------------------------------------------------------

    def options(self, user, obj, **context) -> list[Option]:
        """The transitions `user` may take on `obj` in its current state, in declaration order; each
        with the reason a guard refuses it now, if any."""
        state = getattr(obj, self.field)
        found = []
        for t in self.transitions:
            if state in t.source and self._authorised(user, obj, t):
                found.append(Option(t, self._refusal(obj, t, context).message if t.guards else ""))
        return found

    def allowed(self, user, obj, **context) -> list[Transition]:
        """The transitions `user` may take on `obj` now, guards included."""
        return [o.transition for o in self.options(user, obj, **context) if not o.refused]

    def may(self, user, obj, name: str, **context) -> bool:
        return name in {t.name for t in self.allowed(user, obj, **context)}

    def waiting(self, user, *names: str, queryset=None):
        """The rows on which `user` may take one of the transitions `names` in their current state: the
        state, the right (through the scoping mechanism) and the level are checked as `options` checks
        them; guards are not (a row a guard holds back still waits for the user), and a transition back
        into the row's own state is not waited for. The to-do lists of
        the home pages and the list filters they link to both count these rows."""
        rows = queryset if queryset is not None else self.model._default_manager.all()
        found = []
        for name in names:
            transition = self[name]
            if transition.permission is None:
                continue
            # A repeat of the state a row is in (a re-dispatch) is open to the user, but nothing waits for it.
            states = [state for state in transition.source if state != transition.target]
            picked = rows.visible_to(user, transition.permission).filter(**{f"{self.field}__in": states})
            if transition.level is not None:
                picked = picked.filter(_level_q(user, transition.permission, transition.level))
            found.append(picked)
        if not found:
            return rows.none()
        if len(found) == 1:
            return found[0]
        either = Q(pk__in=[])
        for picked in found:
            either |= Q(pk__in=picked.values("pk"))
        return rows.filter(either)

    # --- Running ----------------------------------------------------------------------------------

    def lock(self, actor, pk, name: str, queryset=None):
        """Fetch the row for transition `name`, locking that row only: 404 outside the user's scope;
        403 (or 404 where the workflow hides refusals) without the transition's permission. Call
        inside a transaction."""
        transition = self[name]
        rows = queryset if queryset is not None else self.model._default_manager.all()
        if transition.permission is None:
            raise PermissionDenied
        if self.hide_refused:
            return get_visible_or_404(rows.select_for_update(of=("self",)), actor.user, transition.permission, pk=pk)
        return get_for_action(rows, actor.user, transition.permission, lock=True, pk=pk)

    def move(self, actor, obj, name: str, note: str = "", *, authorised: bool = False, at=None,
             step_note: str | None = None, expected_version: int | None = None, **context) -> str:  # fmt: skip
        """Take transition `name` on a row locked in the current transaction: check the state, the
        right, the level, the guards and the note, set the new state and write the step record. Returns
        the state before. `step_note` is written instead of the note where the history says more (e.g.
        the reply itself when a reply has no note). `authorised` skips the right and level, for the platform's own scheduled work
        and for a transition that follows from one the user just took (the caller checked the user).
        `expected_version` is the version the caller acted on, where the workflow keeps one (409 if stale)."""
        if not transaction.get_connection().in_atomic_block:
            raise ImproperlyConfigured("状态变更必须在事务中进行")
        transition = self[name]
        before = getattr(obj, self.field)
        self.check_state(obj, transition)
        self.check_version(obj, transition, expected_version)
        if not authorised and not self._authorised(actor.user, obj, transition):
            raise PermissionDenied
        refusal = self._refusal(obj, transition, context)
        if refusal is not _NOT_REFUSED:
            raise Conflict(refusal.message, refusal.fields, code=refusal.code)
        note = note.strip()
        if transition.note_required and not note:
            raise FieldErrors({"note": transition.note_required})
        setattr(obj, self.field, transition.target)
        if self.version is not None:
            # Written at once, whatever fields the caller saves afterwards; the row is locked.
            type(obj)._default_manager.filter(pk=obj.pk).update(**{self.version: F(self.version) + 1})
            setattr(obj, self.version, getattr(obj, self.version) + 1)
        if self.steps is not None:
            self.steps.write(actor, obj, transition, before, note if step_note is None else step_note.strip(), at)
        return before

    def run(self, actor, pk, name: str, note: str = "", *, change: Callable[[Any], Iterable[str] | None] | None = None,
            queryset=None, at=None, expected_version: int | None = None, **context):  # fmt: skip
        """The whole transition in one transaction: lock, move, let `change` set what else the step
        changes on the row (it returns the further fields to save, and may refuse with a FieldErrors),
        save, write the step. Returns the row."""
        with transaction.atomic():
            obj = self.lock(actor, pk, name, queryset)
            self.check_state(obj, self[name])
            extra = change(obj) if change is not None else None
            self.move(actor, obj, name, note, at=at, expected_version=expected_version, **context)
            obj.save(update_fields=[self.field, *(extra or ())])
            return obj

    def replay(self, actor, obj, steps: Iterable[tuple[str, str, Any]],
               change: Callable[[Any, str, Any], None] | None = None) -> None:  # fmt: skip
        """Write a past history onto a row: each (transition name, note, time) in order, taken as `move`
        takes it on the platform's own authority (no right or level; states, guards and required notes
        checked as ever) with its step record dated at that time; `change(obj, name, at)` sets what
        else the step changes on the row. For building histories (the demo, carrying over old cases),
        never for a user's click. The caller saves the row; inside a transaction."""
        for name, note, at in steps:
            self.move(actor, obj, name, note, authorised=True, at=at)
            if change is not None:
                change(obj, name, at)

    def check_state(self, obj, transition: Transition) -> None:
        """Refuse, with 409, a transition the row's current state does not allow."""
        state = getattr(obj, self.field)
        if state not in transition.source:
            message = (self.refused_message or (lambda o, t: _refused_message(o, t, self.field)))(obj, transition)
            raise Conflict(message, {self.field: state}, code="invalid_transition")

    def check_version(self, obj, transition: Transition, expected: int | None) -> None:
        """Refuse, with 409, a stale version, and a repeat of the current state that names none."""
        if self.version is None:
            return
        current = getattr(obj, self.version)
        if expected is not None and expected != current:
            raise Conflict(f"记录已被他人更新（当前版本 {current}），请刷新后再{transition.label}",
                           {"version": current}, code="stale_version")  # fmt: skip
        if expected is None and getattr(obj, self.field) == transition.target:
            raise Conflict(f"当前状态已是“{_display(obj, self.field)}”；如确需再次{transition.label}，请注明当前版本 {current}",
                           {"version": current}, code="version_required")  # fmt: skip

    # --- Inside -----------------------------------------------------------------------------------

    def _authorised(self, user, obj, transition: Transition) -> bool:
        if transition.permission is None or not may(user, obj, transition.permission):
            return False
        return transition.level is None or sits_at(user, transition.permission, obj.region_code, transition.level)

    def _refusal(self, obj, transition: Transition, context: dict) -> Refusal:
        for guard in transition.guards:
            reason = guard(obj, **context)
            if reason:
                return reason if isinstance(reason, Refusal) else Refusal(str(reason))
        return _NOT_REFUSED


_NOT_REFUSED = Refusal("")


def sits_at(user, permission: str, region_code: str, level: Level) -> bool:
    """Whether the user holds `permission` through a membership over this region at the given level:
    exactly a county for COUNTY (a city officer does not do a county's review), a city or above for CITY."""
    if is_platform_admin(user):
        return True
    for m in memberships_of(user):
        if m.region_code and grants(m.role, permission) and contains(m.region_code, region_code):
            here = level_of(m.region_code)
            if (level == Level.COUNTY and here == Level.COUNTY) or (level == Level.CITY and here <= Level.CITY):
                return True
    return False


def regions_at(user, permission: str, level: Level) -> list[str] | None:
    """The regions of the memberships through which the user holds `permission` at `level` (as `sits_at`
    reads it); None for the platform administrator, who acts everywhere. The home page offers a step's
    to-do only to users with one."""
    if is_platform_admin(user):
        return None
    found = []
    for m in memberships_of(user):
        if m.region_code and grants(m.role, permission):
            here = level_of(m.region_code)
            if (level == Level.COUNTY and here == Level.COUNTY) or (level == Level.CITY and here <= Level.CITY):
                found.append(m.region_code)
    return found


def _level_q(user, permission: str, level: Level) -> Q:
    """`sits_at` as a filter on the rows' region codes."""
    codes = regions_at(user, permission, level)
    if codes is None:
        return Q()
    condition = Q(pk__in=[])
    for code in codes:
        condition |= region_range_q("region_code", code)
    return condition


def options_by_row(workflow: Workflow, user, rows, **context) -> dict[Any, list[Option]]:
    """`Workflow.options` for every row of a list page at once, keyed by primary key: one query per
    right the rows' states call for, instead of one per row and transition."""
    rows = list(rows)
    states = {getattr(row, workflow.field) for row in rows}
    permitted = {
        right: set(workflow.model._default_manager.visible_to(user, right).filter(pk__in=[r.pk for r in rows])
                   .values_list("pk", flat=True))
        for right in {t.permission for t in workflow.transitions if t.permission and states & set(t.source)}
    }  # fmt: skip
    found = {}
    for row in rows:
        state = getattr(row, workflow.field)
        found[row.pk] = [
            Option(t, workflow._refusal(row, t, context).message if t.guards else "")
            for t in workflow.transitions
            if state in t.source and t.permission and row.pk in permitted[t.permission]
            and (t.level is None or sits_at(user, t.permission, row.region_code, t.level))
        ]  # fmt: skip
    return found


# --- The registry ----------------------------------------------------------------------------------

_REGISTRY: dict[str, Workflow] = {}


def register(*workflows: Workflow) -> None:
    """Called by an app's `workflows.py` (imported from its AppConfig.ready)."""
    for workflow in workflows:
        known = _REGISTRY.get(workflow.name)
        if known is not None and known is not workflow:
            raise ImproperlyConfigured(f"工作流 {workflow.name} 重复登记")
        _REGISTRY[workflow.name] = workflow


def registered() -> list[Workflow]:
    return list(_REGISTRY.values())


def get(name: str) -> Workflow:
    return _REGISTRY[name]
