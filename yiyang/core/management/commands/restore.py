from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from yiyang.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: every checksum is verified first; a database that "
        "holds rows is replaced only with --force. Stop the web server and the task worker first, and run "
        "`manage.py migrate` afterwards when the code is newer than the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz file written by manage.py backup")
        parser.add_argument("--force", action="store_true", help="replace a database that holds rows")

    def handle(self, *args, archive, force, **options):
        try:
            manifest = backup.restore(archive, force=force)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        media = sum(1 for name in manifest["files"] if name.startswith(backup.MEDIA_PREFIX))
        self.stdout.write(
            f"已恢复 {manifest['created_at']} 的备份：{len(manifest['tables'])} 张表的行数与备份一致，上传文件 {media} 个。"
        )
        known = {
            f"{app}.{name}" for app, name in MigrationLoader(connection, ignore_no_migrations=True).disk_migrations
        }
        applied = set(manifest.get("migrations", []))
        if applied - known:
            self.stderr.write(
                f"注意：备份来自更新的版本（{len(applied - known)} 个本程序没有的数据库迁移，例如 "
                f"{sorted(applied - known)[0]}），请升级程序后再启动服务。"
            )
        elif known - applied:
            self.stdout.write(f"本程序有 {len(known - applied)} 个备份之后的数据库迁移：请运行 manage.py migrate。")
