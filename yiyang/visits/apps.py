from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yiyang.visits"
    verbose_name = "特殊困难老年人探访关爱"

    def ready(self):
        from . import sync  # noqa: F401  (registers the visitor's reveal rule with core)
