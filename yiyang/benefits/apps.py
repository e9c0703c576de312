from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "yiyang.benefits"
    verbose_name = "老年人补贴"

    def ready(self):
        from . import workflows  # noqa: F401  (registers the application, payroll and verification workflows)
