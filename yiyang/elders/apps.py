from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "yiyang.elders"
    label = "elders"
    verbose_name = "老年人信息库"
