from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yiyang.core"
    label = "core"
    verbose_name = "核心"

    def ready(self):
        from .roles import discover_permissions

        # Every app's models are loaded before any ready() runs, so each app's permissions.py can be read.
        discover_permissions()
