"""Words for generated disputes: names, titles, descriptions, companies (demo data only)."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕楼骆蒋"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "永福", "海燕", "小红", "国华",
         "春燕", "志强", "立新", "金水", "阿婆", "大伯")
COMPANY_PLACES = ("枫桥", "诸暨", "绍兴", "柯桥", "越城", "上虞", "沥海", "城南")
COMPANY_TRADES = ("服装", "纺织", "五金", "建筑工程", "物流", "电子商务", "家具", "袜业", "机械",
                  "食品", "物业管理", "渔业", "劳务派遣", "装饰")
TITLES: dict[str, tuple[str, ...]] = {
    "labour": ("拖欠工资纠纷", "工伤赔偿纠纷", "劳动合同解除纠纷", "加班费纠纷"),
    "family": ("赡养费纠纷", "离婚财产分割纠纷", "抚养费纠纷", "分家析产纠纷"),
    "neighbour": ("宅基地边界纠纷", "排水沟堵塞纠纷", "噪声扰民纠纷", "滴水檐纠纷", "通行纠纷"),
    "land": ("土地承包纠纷", "山林权属纠纷", "土地流转租金纠纷", "征地补偿纠纷"),
    "property": ("房屋租赁押金纠纷", "物业费纠纷", "房屋漏水纠纷", "借款纠纷"),
    "consumer": ("网购退款纠纷", "直播带货质量纠纷", "预付卡退费纠纷"),
    "maritime": ("渔船碰撞纠纷", "渔具损毁纠纷", "船员劳务报酬纠纷"),
    "traffic": ("交通事故赔偿纠纷", "电动车碰撞纠纷"),
    "medical": ("医疗损害赔偿纠纷", "医疗费用纠纷"),
    "other": ("合伙纠纷", "承揽合同纠纷"),
}
DESCRIPTIONS: dict[str, str] = {
    "labour": "{a}反映在{r}工作期间工资未按时发放，多次讨要未果。",
    "family": "{a}与{r}因家庭事务发生矛盾，希望调解解决。",
    "neighbour": "{a}与邻居{r}因{addr}附近的边界和通行问题多次争吵。",
    "land": "{a}与{r}对承包土地的边界和收益分配各执一词。",
    "property": "{a}与{r}因房屋和费用问题发生争议。",
    "consumer": "{a}在{r}处购买的商品存在质量问题，要求退款。",
    "maritime": "{a}的渔船和渔具在作业中与{r}发生纠纷。",
    "traffic": "{a}与{r}在{addr}附近发生交通事故，对赔偿金额有分歧。",
    "medical": "{a}认为在{r}处的治疗存在过错，要求赔偿。",
    "other": "{a}与{r}因合作事项发生争议。",
}
# Escalation language, a reviewed sample (the early-warning rules look for such words).
ESCALATION = ("当事人情绪激动，扬言要去上访。", "一方称如不解决将到信访局反映。",
              "双方发生推搡，有打架迹象。", "当事人称要跳楼，已通知村干部稳控。",
              "多名工人聚集讨薪，情绪激动。")
AMOUNT_TYPES = frozenset({"labour", "property", "consumer", "traffic", "medical", "land",
                          "maritime"})
# Counties of Shaoxing, where the demo areas are, with the birth years their codes were in
# use for (python-stdnum checks a code against the birth date).
REGIONS = ("330602", "330624", "330681")
BIRTH_YEARS = (1990, 2004)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def person(rng: random.Random) -> str:
    r = rng.random
    return SURNAMES[int(r() * len(SURNAMES))] + GIVEN[int(r() * len(GIVEN))]


def company(rng: random.Random) -> str:
    place, trade = rng.choice(COMPANY_PLACES), rng.choice(COMPANY_TRADES)
    return f"{place}{rng.choice(SURNAMES)}氏{trade}有限公司"


def _weighted_sum(digits: str, offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[offset:], strict=False))


class IdNumbers:
    """Distinct resident ID numbers with a valid GB 11643 check character, made quickly:
    every (region, birth date) in turn, then the next sequence number (distinct for the
    first 15 million)."""

    def __init__(self, rng: random.Random) -> None:
        self.prefixes = [f"{region}{year}{month:02d}{day:02d}" for region in REGIONS
                         for year in range(BIRTH_YEARS[0], BIRTH_YEARS[1] + 1)
                         for month in range(1, 13) for day in range(1, 29)]
        rng.shuffle(self.prefixes)
        self.sums = [_weighted_sum(p, 0) for p in self.prefixes]
        self.tails = [f"{n:03d}" for n in range(1000)]
        self.tail_sums = [_weighted_sum(t, 14) for t in self.tails]
        self.count = int(rng.random() * len(self.prefixes))

    def __call__(self) -> str:
        pool, n = len(self.prefixes), self.count
        self.count += 1
        k, tail = n % pool, (n // pool) % 1000
        total = self.sums[k] + self.tail_sums[tail]
        return self.prefixes[k] + self.tails[tail] + "10X98765432"[total % 11]


def phone(rng: random.Random) -> str:
    return f"1{'3589'[int(rng.random() * 4)]}{int(rng.random() * 1e9):09d}"
