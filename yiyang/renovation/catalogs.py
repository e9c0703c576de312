"""The item catalogs as data, seeded by a migration and re-seeded idempotently by `seed`.

民发〔2020〕86号, annex 《老年人居家适老化改造项目和老年用品配置推荐清单》: 7 groups, 30 items, 7 basic
and 23 optional. Items 1–8 (names, order and tiers) were read in a 2021 action plan that reproduces the
annex; the 7 basic items were read in two further reproductions. The names and order of items 9–30 are
not verified against the annex: they are seeded with `verified=False` (docs/renovation.md).

住建部《城市居家适老化改造指导手册》 (2023): 47 points in 7 spaces, each 基础型 (stored as basic) or 提升型
(stored as optional). Only the examples read in a report on it are seeded; the catalog is marked
incomplete until the full list is entered.

Reference prices are illustrative figures for the demo and for a region to start from, not published
prices: a region's own variant sets its tendered prices.
"""

from .models import Tier

B, OPT = Tier.BASIC, Tier.OPTIONAL
SOURCE_2020_1_8 = "民发〔2020〕86号附件，经合肥市2021年行动计划转载核对"
SOURCE_2020_BASIC = "民发〔2020〕86号附件基础类7项，经两份转载核对"
SOURCE_2020_UNVERIFIED = "民发〔2020〕86号附件（名称与顺序未经原文核对）"
SOURCE_2023 = "住建部《城市居家适老化改造指导手册》（2023），据报道所列示例"

# (number, group, name, tier, unit, reference price in fen, verified)
NATIONAL_2020 = [
    (1, "地面", "防滑处理", B, "平方米", 6000, True),
    (2, "地面", "高差处理", B, "处", 30000, True),
    (3, "地面", "平整硬化", OPT, "平方米", 8000, True),
    (4, "地面", "安装扶手", OPT, "米", 20000, True),
    (5, "门", "门槛移除", OPT, "处", 15000, True),
    (6, "门", "平开门改为推拉门", OPT, "樘", 120000, True),
    (7, "门", "房门拓宽", OPT, "樘", 150000, True),
    (8, "门", "下压式门把手改造", OPT, "个", 8000, True),
    (9, "门", "安装可视门铃", OPT, "个", 30000, False),
    (10, "卧室", "配置护理床", OPT, "张", 200000, False),
    (11, "卧室", "安装床边护栏（抓杆）", B, "个", 25000, False),
    (12, "卧室", "配置防压疮垫", OPT, "张", 40000, False),
    (13, "如厕洗浴设备", "安装扶手", B, "个", 20000, False),
    (14, "如厕洗浴设备", "蹲便器改坐便器", OPT, "个", 80000, False),
    (15, "如厕洗浴设备", "水龙头改造", OPT, "个", 15000, False),
    (16, "如厕洗浴设备", "浴缸/淋浴房改造", OPT, "处", 200000, False),
    (17, "如厕洗浴设备", "配置淋浴椅", B, "把", 20000, False),
    (18, "厨房设备", "台面改造", OPT, "处", 150000, False),
    (19, "厨房设备", "加设中部柜", OPT, "组", 100000, False),
    (20, "物理环境", "安装自动感应灯具", OPT, "个", 8000, False),
    (21, "物理环境", "电源插座及开关改造", OPT, "处", 10000, False),
    (22, "物理环境", "安装防撞护角/防撞条", OPT, "米", 3000, False),
    (23, "物理环境", "适老家具配置", OPT, "件", 60000, False),
    (24, "老年用品配置", "手杖", B, "根", 10000, False),
    (25, "老年用品配置", "轮椅/助行器", OPT, "台", 60000, False),
    (26, "老年用品配置", "放大装置", OPT, "个", 10000, False),
    (27, "老年用品配置", "助听器", OPT, "副", 150000, False),
    (28, "老年用品配置", "自助进食器具", OPT, "套", 10000, False),
    (29, "老年用品配置", "防走失装置", B, "个", 30000, False),
    (30, "老年用品配置", "安全监控装置", OPT, "套", 80000, False),
]
# The basic tier of these is verified even where the item's name and number are not.
BASIC_VERIFIED = {1, 2, 11, 13, 17, 24, 29}

URBAN_2023 = [
    (1, "卧室", "床边护栏或抓杆", B, "个", 25000, True),
    (2, "卧室", "床头照明开关", B, "个", 10000, True),
    (3, "卧室", "紧急呼叫装置", B, "套", 30000, True),
    (4, "卫生间", "消除高差", B, "处", 30000, True),
    (5, "卫生间", "蹲便器改坐便器", B, "个", 80000, True),
    (6, "卫生间", "淋浴椅", B, "把", 20000, True),
    (7, "卫生间", "干湿分离", B, "处", 60000, True),
]

CATALOGS = [
    {
        "code": "mca-2020",
        "name": "老年人居家适老化改造项目和老年用品配置推荐清单",
        "document": "民发〔2020〕86号",
        "is_complete": True,
        "note": "7类30项（基础类7项、可选类23项）。第1–8项与基础类7项已核对；第9–30项名称与顺序未经原文核对。"
        "参考单价为示例数据。",
        "items": NATIONAL_2020,
    },
    {
        "code": "mohurd-2023",
        "name": "城市居家适老化改造指导手册",
        "document": "住建部 2023-05-30",
        "is_complete": False,
        "note": "手册共47项，分7个空间，基础型/提升型；此处只录入已核实的示例7项（基础型记为基础类），"
        "其余待按原文补录。参考单价为示例数据。",
        "items": URBAN_2023,
    },
]
NATIONAL_CODES = frozenset(spec["code"] for spec in CATALOGS)


def _source(code: str, number: int, verified: bool) -> str:
    if code == "mohurd-2023":
        return SOURCE_2023
    if number <= 8:
        return SOURCE_2020_1_8
    return SOURCE_2020_BASIC + "；名称未核对" if number in BASIC_VERIFIED else SOURCE_2020_UNVERIFIED


def seed(catalog_model, item_model) -> int:
    """Create or refresh the national catalogs (models passed in, so a migration can call it). Returns
    the number of items written."""
    written = 0
    for spec in CATALOGS:
        catalog, _ = catalog_model.objects.update_or_create(
            code=spec["code"],
            defaults={k: spec[k] for k in ("name", "document", "is_complete", "note")} | {"region_code": ""},
        )
        for number, group, name, tier, unit, price, verified in spec["items"]:
            item_model.objects.update_or_create(
                catalog=catalog, number=number,
                defaults={"group": group, "name": name, "tier": tier, "unit": unit, "reference_price": price,
                          "verified": verified, "source": _source(spec["code"], number, verified)},
            )  # fmt: skip
            written += 1
    return written
