from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "yiyang.facilities"
    label = "facilities"
    verbose_name = "养老服务机构"
