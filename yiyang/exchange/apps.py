from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "yiyang.exchange"
    verbose_name = "数据交换"
