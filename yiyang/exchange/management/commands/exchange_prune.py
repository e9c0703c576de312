from django.core.management.base import BaseCommand

from yiyang.exchange import signed


class Command(BaseCommand):
    help = "清理互联应用过期的随机串、频率计数和旧的错误记录（建议每小时执行）"

    def handle(self, *args, **options):
        nonces, windows = signed.prune()
        self.stdout.write(f"已清理随机串 {nonces} 条，频率计数 {windows} 条")
