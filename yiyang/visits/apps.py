from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yiyang.visits"
    verbose_name = "特殊困难老年人探访关爱"
