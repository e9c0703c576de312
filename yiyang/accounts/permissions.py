"""What each role may do with accounts: API tokens are for the staff who connect other systems, not for
families, elders and caregivers (who use the pages on their phones)."""

from yiyang.core.roles import Role

PERMISSIONS = {"accounts.add_apitoken": "创建和管理自己的接口令牌"}

_TOKENS = {"accounts.add_apitoken"}

GRANTS = {
    Role.OFFICER: _TOKENS,
    Role.VIEWER: _TOKENS,
    Role.FACILITY_MANAGER: _TOKENS,
    Role.PROVIDER_MANAGER: _TOKENS,
    Role.COMMUNITY_WORKER: _TOKENS,
    Role.CADRE: _TOKENS,
    Role.AUDITOR: _TOKENS,
}
