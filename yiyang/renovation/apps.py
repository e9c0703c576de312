from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "yiyang.renovation"
    verbose_name = "居家适老化改造"

    def ready(self):
        from . import workflows  # noqa: F401  (registers the application workflow with core)
