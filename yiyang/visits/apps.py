from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yiyang.visits"
    verbose_name = "特殊困难老年人探访关爱"

    def ready(self):
        # Registers the visitor's reveal rule, the elder's recent visits and the referrals' links back.
        from . import activity, links, sync  # noqa: F401
