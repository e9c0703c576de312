"""Common Chinese surnames and given names of the older generation, for believable demo people."""

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢".strip()
)
GIVEN = "秀英 桂英 秀兰 玉兰 桂兰 凤英 建国 建华 国庆 志强 德华 文华 淑珍 玉珍 春花 金凤 国华 振华 明德 福生 长有 得胜 翠花 素芳 保国 新民 爱华 玉梅 宝山 富贵".split()


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
