"""Ledgers of immutable entries with an idempotency key (DESIGN.md §6): vouchers, time-bank hours, and
whatever else pays or credits. Balances are sums of entries; nothing edits or deletes an entry."""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone


class ImmutableEntry(models.Model):
    """An entry that, once written, can be neither changed nor deleted through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("账目流水不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("账目流水不可删除")


class DecisionStep(ImmutableEntry):
    """One step in the history of a case (a hazard, a subsidy claim, a rating application, a complaint):
    who acted, when and why. Subclasses add the case they belong to and what the step changed."""

    county_code = models.CharField("县（区）代码", max_length=6)
    note = models.CharField("说明", max_length=1000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField("办理人", max_length=150)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        abstract = True

    @staticmethod
    def by_actor(actor) -> dict:
        """The `by` and `by_name` fields of a step taken by `actor` (a core.audit.Actor)."""
        return {"by": actor.db_user, "by_name": actor.name}


def post_once(model: type[ImmutableEntry], **fields) -> bool:
    """Write one entry unless an entry with the same idempotency key exists (the model's unique
    constraint decides). Returns whether it was written; a resend or a rerun writes nothing."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True
