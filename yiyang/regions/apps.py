from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "yiyang.regions"
    label = "regions"
    verbose_name = "行政区划"

    def ready(self):
        from yiyang.core import idnumber

        from .services import is_current_address_code

        idnumber.register_current_address_codes(is_current_address_code)
