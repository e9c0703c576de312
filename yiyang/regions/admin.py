from django.contrib import admin

from yiyang.core.admin import ScopedAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "population_total", "population_60")
    list_filter = ("level",)
    search_fields = ("code", "name")
