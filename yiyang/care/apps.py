from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "yiyang.care"
    verbose_name = "应急救援"

    def ready(self):
        from . import reveal, workflows  # noqa: F401  (registers the alarm workflow and reveal rule with core)
