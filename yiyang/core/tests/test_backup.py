"""manage.py backup / restore: a round trip brings back the same rows and the same file bytes; a restore
refuses a database that holds rows unless forced, and an archive whose bytes changed."""

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from yiyang.core import backup
from yiyang.core.audit import Actor

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def rows(county_officer, elder, make_elder, facility, media):
    from yiyang.supervision.services import pairing

    make_elder("411002002001", name="刘桂兰")
    cadre = pairing.register_cadre(Actor(user=county_officer), {"name": "王建国", "post": "区民政局副局长",
                                   "phone": "13900001234", "region_code": "411002000000"})  # fmt: skip
    pairing.set_photo(Actor(user=county_officer), cadre.pk, SimpleUploadedFile("p.png", PNG))
    cadre.refresh_from_db()
    return {"photo": media / cadre.photo.name}


def the_archive(folder: Path) -> Path:
    (archive,) = folder.glob("yiyang-backup-*.tar.gz")
    return archive


def wipe(media: Path):
    call_command("flush", "--noinput")
    shutil.rmtree(media)


@pytest.mark.django_db(transaction=True)
def test_a_round_trip_brings_back_every_row_and_every_file(rows, media, tmp_path):
    before = backup.table_counts(connection)
    assert before["elders_elder"] == 2 and before["supervision_cadre"] == 1
    call_command("backup", f"{tmp_path / 'backups'}/", stdout=io.StringIO())
    archive = the_archive(tmp_path / "backups")
    with tarfile.open(archive) as opened:
        manifest = backup.read_manifest(opened)
    assert manifest["tables"] == before and manifest["engine"] == connection.vendor
    photo_name = "media/" + rows["photo"].relative_to(media).as_posix()
    assert manifest["files"][photo_name]["size"] == len(PNG)

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))
    assert backup.table_counts(connection) == before

    wipe(media)
    assert backup.table_counts(connection)["elders_elder"] == 0 and not rows["photo"].exists()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert backup.table_counts(connection) == before
    assert rows["photo"].read_bytes() == PNG
    assert "行数与备份一致" in out.getvalue()

    from yiyang.elders.models import Elder

    assert sorted(Elder.objects.values_list("name", flat=True)) == ["刘桂兰", "张华山"]
    call_command("restore", str(archive), "--force", stdout=io.StringIO())  # over rows: only when forced
    assert backup.table_counts(connection) == before


def _rewrite(archive: Path, target: Path, change):
    """A copy of the archive with `change(name, bytes) -> bytes` applied to each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            body = change(member.name, source.extractfile(member).read())
            member.size = len(body)
            out.addfile(member, io.BytesIO(body))


@pytest.mark.django_db(transaction=True)
def test_a_changed_byte_or_a_stray_member_refuses_the_restore_before_anything_changes(rows, media, tmp_path):
    archive = backup.backup(tmp_path / "b.tar.gz").path
    wipe(media)
    empty = backup.table_counts(connection)
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(archive, damaged, lambda name, body: body[:-1] + b"\x00" if name.endswith(".png") else body)
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(damaged))

    def add_entry(name, body):
        if name != backup.MANIFEST:
            return body
        manifest = json.loads(body)
        manifest["files"]["media/../../escape.txt"] = {"size": 1, "sha256": "0" * 64}
        return json.dumps(manifest).encode()

    stray = tmp_path / "stray.tar.gz"
    _rewrite(archive, stray, add_entry)
    with pytest.raises(CommandError, match="lacks"):
        call_command("restore", str(stray))
    assert backup.table_counts(connection) == empty and not media.exists()
    assert not (tmp_path / "escape.txt").exists()


def test_a_backup_never_overwrites_a_file(db, tmp_path, media):
    target = tmp_path / "exists.tar.gz"
    target.write_bytes(b"keep")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(target))
    assert target.read_bytes() == b"keep"


def test_a_file_that_is_no_backup_is_refused(db, tmp_path):
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as archive:
        archive.addfile(tarfile.TarInfo("x.txt"), io.BytesIO(b""))
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(other))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")
def test_postgresql_backups_are_pg_dumps_taken_in_the_counted_snapshot(rows, media, tmp_path):
    before = backup.table_counts(connection)
    result = backup.backup(tmp_path / "pg.tar.gz")
    assert result.manifest["database"] == backup.PG_MEMBER and result.manifest["tables"] == before
    wipe(media)
    backup.restore(result.path)
    assert backup.table_counts(connection) == before and rows["photo"].read_bytes() == PNG
