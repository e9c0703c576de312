from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "yiyang.supervision"
    verbose_name = "民政监管"

    def ready(self):
        from . import workflows  # noqa: F401  (registers the supervision workflows with core)
