from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yiyang.visits"
    verbose_name = "特殊困难老年人探访关爱"

    def ready(self):
        from . import activity, sync  # noqa: F401  (registers the visitor's reveal rule and the elder's recent visits)
