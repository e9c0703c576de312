from django.apps import AppConfig


class ServiceMapConfig(AppConfig):
    name = "yiyang.servicemap"
    verbose_name = "养老服务地图"

    def ready(self):
        from . import signals  # noqa: F401
