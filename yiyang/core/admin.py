"""The admin reads through the same scoping mechanism as every other interface (DESIGN.md §4)."""

from django.contrib import admin

from .models import AuditEntry
from .scoping import has_permission, permission_name


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and permissions come from memberships, not from Django's per-user grants."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user, "view")

    def has_view_permission(self, request, obj=None):
        return has_permission(request.user, permission_name(self.model, "view")) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        # Writes go through the services (validation, scope re-check, audit): the admin is read-only.
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    list_display = ("at", "username", "action", "object_type", "object_repr", "ip", "interface")
    list_filter = ("action", "interface")
    search_fields = ("username", "object_id")
