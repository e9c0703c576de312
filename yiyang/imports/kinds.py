"""What can be imported: per kind its columns, example rows, permission and the importer to use.

An importer is a class taking `(actor, present)` (`present`: the column keys the file has) with
`plan(chunk)` (what importing those rows would do, writing nothing), `write(plan)` (inside the job's
transaction), `skip(number, row)` (a row before a resumed job's cursor, replayed into the check for
repeats within the file) and `finish(result)` (the audit entry).
"""

from dataclasses import dataclass

from django.db import transaction

from yiyang.care import importers as devices
from yiyang.core.audit import Actor
from yiyang.core.tabular import Column
from yiyang.elders import importers as elders
from yiyang.elders.importers import ImportResult, Plan, RowError
from yiyang.facilities import importers as facilities
from yiyang.regions import services as regions
from yiyang.regions.models import Region

# The bureau's own row number, read when the file has it, so that the error report can name it.
SERIAL = Column("serial", "序号", required=False, aliases=("编号", "行序号"))


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    permission: str
    columns: list[Column]
    examples: list[list[str]]
    importer: type
    model: type
    chunk_size: int = elders.CHUNK

    @property
    def sensitive(self):
        """The model's sensitive fields (core.masking), whose values previews and reports mask."""
        return getattr(self.model, "sensitive", None)

    @property
    def read_columns(self) -> list[Column]:
        """The columns read from a file: the importer's and the serial number, unless it declares one."""
        if any(c.key == SERIAL.key or SERIAL.header in (c.header, *c.aliases) for c in self.columns):
            return self.columns
        return [*self.columns, SERIAL]

    def headers(self) -> dict[str, str]:
        """Field -> the header a clerk reads (the importer's `labels` name fields without a column of their own)."""
        return {**{c.key: c.header for c in self.columns}, **getattr(self.importer, "labels", {})}


class _Rollback(Exception):
    pass


class RegionImporter:
    """Streets and communities, through `regions.services.import_subdivisions` (one chunk: a row's
    parent may come earlier in the same file)."""

    object_type = "regions.region"
    label = "街道和社区"
    HEADERS = {"code": "区划代码", "name": "名称", "urban_rural": "城乡分类代码"}

    def __init__(self, actor: Actor, present=None):
        self.actor = actor

    def skip(self, number: int, raw: dict) -> None:
        pass

    def _run(self, chunk) -> tuple[int, list[RowError]]:
        saved, errors = regions.import_subdivisions([row for _, row in chunk], actor=self.actor)
        # import_subdivisions counts data rows from 1; spreadsheet rows count the header as row 1.
        return saved, [
            RowError(
                chunk[e.row - 1][0],
                self.HEADERS.get(e.column, e.column),
                e.reason,
                chunk[e.row - 1][1].get(e.column, ""),
                chunk[e.row - 1][1].get("name", ""),
                chunk[e.row - 1][1].get("code", ""),
                chunk[e.row - 1][1].get("serial", ""),
            )
            for e in errors
        ]

    def plan(self, chunk) -> Plan:
        box = {}
        try:
            with transaction.atomic():
                box["result"] = self._run(chunk)
                raise _Rollback
        except _Rollback:
            pass
        _, errors = box["result"]
        refused = {e.row for e in errors}
        codes = [row.get("code", "") for number, row in chunk if number not in refused]
        existing = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
        plan = Plan(errors=errors)
        plan.new = [code for code in codes if code not in existing]
        plan.changed = [code for code in codes if code in existing]
        plan.chunk = chunk
        return plan

    def write(self, plan: Plan) -> None:
        self._run(plan.chunk)

    def finish(self, result: ImportResult) -> None:
        pass  # import_subdivisions writes its own audit entry


KINDS = {
    k.key: k
    for k in (
        ImportKind(
            "elders",
            "老年人",
            "elders.import_elder",
            elders.COLUMNS,
            elders.EXAMPLE_ROWS,
            elders.ElderImporter,
            elders.Elder,
        ),
        ImportKind(
            "facilities",
            "养老服务机构",
            "facilities.import_facility",
            facilities.COLUMNS,
            facilities.EXAMPLE_ROWS,
            facilities.FacilityImporter,
            facilities.Facility,
        ),
        ImportKind(
            "devices",
            "报警设备",
            "care.import_device",
            devices.COLUMNS,
            devices.EXAMPLE_ROWS,
            devices.DeviceImporter,
            devices.Device,
        ),
        ImportKind(
            "regions",
            "街道和社区",
            "regions.import_region",
            [
                Column("code", "区划代码"),
                Column("name", "名称"),
                Column("urban_rural", "城乡分类代码", required=False),
            ],
            [["411002001003", "新华社区", "111"]],
            RegionImporter,
            Region,
            chunk_size=10**9,
        ),
    )
}
