from django.core.management.base import BaseCommand, CommandError

from yiyang.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files (MEDIA_ROOT) into one .tar.gz archive with a manifest "
        "(rows per table, SHA-256 of every file). SQLite is copied with its online backup API, PostgreSQL "
        "with pg_dump from PATH; the platform may keep running meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "destination", help="a folder (a dated file name is chosen in it) or the archive's file name"
        )

    def handle(self, *args, destination, **options):
        try:
            result = backup.backup(destination)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        media = sum(1 for name in manifest["files"] if name.startswith(backup.MEDIA_PREFIX))
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"已备份：{result.path}（{len(manifest['tables'])} 张表共 {rows} 行，上传文件 {media} 个）")
