from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "yiyang.supervision"
    verbose_name = "民政监管"
