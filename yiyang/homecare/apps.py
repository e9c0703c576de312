from django.apps import AppConfig


class HomecareConfig(AppConfig):
    name = "yiyang.homecare"
    verbose_name = "居家社区养老服务"

    def ready(self):
        from . import activity, reveal, workflows  # noqa: F401  (registers the workflows, the reveal rule and the elder's recent orders)
