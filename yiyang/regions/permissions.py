"""What each role may do with the division tree."""

from yiyang.core.roles import Role

PERMISSIONS = {
    "regions.view_region": "查看行政区划及其统计（区域看板、服务圈、数据分析的入口）",
    "regions.change_region": "修改行政区划",
    "regions.import_region": "导入街道、社区",
}

# Every role bound to a region reads the tree of its region; officers maintain it.
_REGION_READ = {"regions.view_region"}

GRANTS = {
    Role.OFFICER: _REGION_READ | {"regions.change_region", "regions.import_region"},
    Role.VIEWER: _REGION_READ,
    Role.COMMUNITY_WORKER: _REGION_READ,
    Role.CADRE: _REGION_READ,
    Role.AUDITOR: _REGION_READ,
}
