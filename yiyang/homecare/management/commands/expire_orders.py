from django.core.management.base import BaseCommand

from yiyang.homecare import services


class Command(BaseCommand):
    help = "Send orders a provider left unanswered for 30 minutes back to the dispatch board (run every minute)."

    def handle(self, *args, **options):
        self.stdout.write(f"超时升级 {services.expire_unaccepted()} 单。")
