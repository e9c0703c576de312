from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "yiyang.regions"
    label = "regions"
    verbose_name = "行政区划"
