from django.core.management.base import BaseCommand, CommandError

from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import FieldErrors
from yiyang.regions.models import Region
from yiyang.visits import services


class Command(BaseCommand):
    help = "Enrol visit targets from the elders registry and assign them to visitors (per county)."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="a region code; every county when left out")

    def handle(self, *args, **options):
        actor = Actor.system(interface=Interface.CLI)
        codes = (
            [options["region"]]
            if options["region"]
            else list(Region.objects.filter(level=3).values_list("code", flat=True))
        )
        for code in codes:
            try:
                result = services.enrol_from_registry(actor, code)
            except FieldErrors as exc:
                raise CommandError(exc.message) from None
            if result.enrolled or result.retiered or result.exited or result.assigned:
                self.stdout.write(
                    f"{code}：纳入 {result.enrolled}，调整等级 {result.retiered}，"
                    f"退出 {result.exited}，分配 {result.assigned}"
                )
