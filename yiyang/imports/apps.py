from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "yiyang.imports"
    verbose_name = "数据导入"
