"""Ledgers of immutable entries with an idempotency key (DESIGN.md §6): vouchers, time-bank hours, and
whatever else pays or credits. Balances are sums of entries; nothing edits or deletes an entry."""

from django.db import IntegrityError, models, transaction


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


def post_once(model: type[ImmutableEntry], **fields) -> bool:
    """Write one entry unless an entry with the same idempotency key exists (the model's unique
    constraint decides). Returns whether it was written; a resend or a rerun writes nothing."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True
