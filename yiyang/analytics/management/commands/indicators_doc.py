from django.core.management.base import BaseCommand

from yiyang.analytics.indicators import REGISTRY

HEADER = """# Indicators

Every figure of the dashboard, the table view, the big screen, the monthly reports and the API comes
from the registry in `yiyang/analytics/indicators.py`; this page is generated from it
(`manage.py indicators_doc > docs/indicators.md`).

- Elder figures count elders with status 在册, read from per-region counts that every write keeps
  current in its own transaction (`elders.rollups`); ages are counted by birth year.
- Facility figures count operating facilities; coverage comes from the last computation of the
  15-minute service circle, which facility changes keep current.
- Additive figures of the children of a region sum to the region's own figure; rates do not.
- Targets prorate counts over the year ("应达进度"); rates are compared as they stand.

| key | 指标 | 单位 | 公式 | 来源 | 可加 |
| --- | --- | --- | --- | --- | --- |
"""


class Command(BaseCommand):
    help = "Print docs/indicators.md from the indicator registry."

    def handle(self, *args, **options):
        self.stdout.write(HEADER, ending="")
        for i in REGISTRY:
            self.stdout.write(
                f"| `{i.key}` | {i.name} | {i.unit} | {i.formula} | {i.source} | {'是' if i.additive else '否'} |"
            )
