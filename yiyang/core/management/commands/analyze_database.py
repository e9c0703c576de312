from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = (
        "Refresh the query planner's statistics (run daily, and after a large import). SQLite keeps none "
        "until asked, and without them picks slower plans for province-wide pages such as the hazard ledger."
    )

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write("已更新数据库统计信息。")
