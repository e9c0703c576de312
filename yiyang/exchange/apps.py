from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "yiyang.exchange"
    verbose_name = "互联互通"

    def ready(self):
        from . import feed, workflows  # noqa: F401  (workflows registers the reporting period with core)

        feed.connect()
        from yiyang.core import periodlocks

        from .periods import locked_months

        periodlocks.register(locked_months)
