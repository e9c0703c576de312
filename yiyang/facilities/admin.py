from django.contrib import admin

from yiyang.core.admin import ScopedAdmin

from .models import Facility


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    list_display = ("name", "facility_type", "operation_model", "region_code", "beds_total", "star_rating", "status")
    list_filter = ("facility_type", "operation_model", "status", "star_rating")
    search_fields = ("name", "code")
