"""The codes a visit record and a target speak in. Codes are versioned, never changed in place: a phone
that synced with an old code keeps working (domain notes: sync breaks when option codes change)."""

from django.db import models


class Tier(models.TextChoices):
    HIGH = "high", "高风险"
    KEY = "key", "重点"
    GENERAL = "general", "一般"


class Method(models.TextChoices):
    HOME = "home", "上门入户"
    PHONE = "phone", "电话"
    VIDEO = "video", "视频"
    THIRD_PARTY = "third_party", "委托第三方"
    VOLUNTEER = "volunteer", "党员/志愿者结对"
    RELATIVE = "relative", "亲属邻里"
    SMART_ALERT = "smart_alert", "智能设备主动发现"
    HOTLINE = "hotline", "服务热线"


# Where a region has said nothing: the national guidance names in-person, phone and video visits.
DEFAULT_COUNTED_METHODS = [Method.HOME, Method.PHONE, Method.VIDEO]


class VisitorKind(models.TextChoices):
    GRID_WORKER = "grid_worker", "网格员"
    COMMUNITY_WORKER = "community_worker", "社区工作者"
    PROVIDER_STAFF = "provider_staff", "服务机构人员"
    VOLUNTEER = "volunteer", "志愿者"
    CADRE = "cadre", "包联干部"
    RELATIVE = "relative", "亲属邻里"


class Mood(models.TextChoices):
    GOOD = "good", "良好"
    FAIR = "fair", "一般"
    LOW = "low", "低落"


class Hazard(models.TextChoices):
    WATER = "water", "用水"
    ELECTRICITY = "electricity", "用电"
    GAS = "gas", "燃气"
    HEATING = "heating", "取暖"
    FALLS = "falls", "跌倒风险"


class Need(models.TextChoices):
    DAILY_CARE = "daily_care", "生活照料"
    NURSING = "nursing", "康复护理"
    EMOTIONAL = "emotional", "精神慰藉"
    RENOVATION = "renovation", "适老化改造"
    ALLOWANCE = "allowance", "补贴救助"
    EMERGENCY = "emergency", "紧急救助"


class Risk(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


class AbsentReason(models.TextChoices):
    HOSPITAL = "hospital", "住院"
    AWAY = "away", "外出/探亲"
    REFUSED = "refused", "拒绝探访"
    NOT_FOUND = "not_found", "未能联系上"
    OTHER = "other", "其他"


class ExitReason(models.TextChoices):
    DECEASED = "deceased", "死亡"
    MOVED_OUT = "moved_out", "迁出"
    INSTITUTION = "institution", "入住养老机构"
    NO_LONGER_ELIGIBLE = "no_longer_eligible", "不再符合条件"
    OTHER = "other", "其他"


class ReferralKind(models.TextChoices):
    HOMECARE_ORDER = "homecare_order", "居家服务工单"
    RENOVATION = "renovation", "适老化改造申请"
    ALLOWANCE = "allowance", "补贴救助核查"
    ALARM = "alarm", "紧急呼叫"
    OTHER = "other", "其他"


class ReferralStatus(models.TextChoices):
    OPEN = "open", "待处理"
    LINKED = "linked", "已转办"
    CLOSED = "closed", "已办结"
