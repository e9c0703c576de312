from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "yiyang.providers"
    verbose_name = "服务组织与从业人员"
