from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "yiyang.analytics"
    verbose_name = "数据决策分析"
