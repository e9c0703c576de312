from django.contrib import admin

from yiyang.core.admin import ScopedAdmin

from .models import Assessment, Elder


@admin.register(Elder)
class ElderAdmin(ScopedAdmin):
    list_display = ("name", "sex", "birth_date", "region_code", "capability_level", "status")
    list_filter = ("status", "capability_level", "sex")
    search_fields = ("name", "name_initials")
    exclude = ("id_number", "phone", "address", "health_notes")  # sensitive: shown masked on the pages


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
    list_display = ("elder", "assessed_on", "total", "final_level")
    exclude = ("scores",)
