"""What can be imported: per kind its columns, example rows, permission and the importer to call."""

from collections.abc import Callable
from dataclasses import dataclass

from yiyang.core.tabular import Column
from yiyang.elders import importers as elders
from yiyang.elders.importers import ImportResult, RowError
from yiyang.facilities import importers as facilities
from yiyang.regions import services as regions


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    permission: str
    columns: list[Column]
    examples: list[list[str]]
    run: Callable


def _import_regions(actor, rows, progress=None) -> ImportResult:
    numbered = list(rows)
    saved, errors = regions.import_subdivisions([row for _, row in numbered], actor=actor)
    if progress:
        progress(len(numbered))
    headers = {"code": "区划代码", "name": "名称", "urban_rural": "城乡分类代码"}
    # import_subdivisions counts data rows from 1; spreadsheet rows count the header as row 1.
    return ImportResult(
        created=saved,
        errors=[RowError(numbered[e.row - 1][0], headers.get(e.column, e.column), e.reason) for e in errors],
    )


KINDS = {
    k.key: k
    for k in (
        ImportKind(
            "elders", "老年人", "elders.import_elder", elders.COLUMNS, elders.EXAMPLE_ROWS, elders.import_elders
        ),
        ImportKind(
            "facilities",
            "养老服务机构",
            "facilities.import_facility",
            facilities.COLUMNS,
            facilities.EXAMPLE_ROWS,
            facilities.import_facilities,
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
            _import_regions,
        ),
    )
}
