"""Demo areas, bodies and mediators of a coastal city (the seed report's three levels)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.bodies.models import BodyKind, Level

P, A, IND = BodyKind.PEOPLES, BodyKind.ADMINISTRATIVE, BodyKind.INDUSTRY
CITY, TOWN, VILLAGE = Level.CITY, Level.TOWN, Level.VILLAGE
OFFICE_HOURS = "周一至周五 8:30-12:00，13:30-17:30"

AREAS: list[tuple[str, str, Level, str | None]] = [
    ("330600", "绍兴市", CITY, None),
    ("330681", "诸暨市枫桥镇", TOWN, "330600"),
    ("330681101", "枫源村", VILLAGE, "330681"),
    ("330681102", "陈家村", VILLAGE, "330681"),
    ("330681103", "枫溪村", VILLAGE, "330681"),
    ("330602", "越城区城南街道", TOWN, "330600"),
    ("330602201", "城南社区", VILLAGE, "330602"),
    ("330602202", "迪荡社区", VILLAGE, "330602"),
    ("330603", "柯桥区柯桥街道", TOWN, "330600"),
    ("330603201", "笛扬社区", VILLAGE, "330603"),
    ("330604", "上虞区沥海街道", TOWN, "330600"),
    ("330604101", "海塘村", VILLAGE, "330604"),
]


@dataclass(frozen=True)
class DemoBody:
    name: str
    kind: BodyKind
    level: Level
    area: str
    dispute_types: tuple[str, ...]
    specialties: str
    address: str
    phone: str
    working_hours: str = OFFICE_HOURS
    description: str = ""


BODIES: list[DemoBody] = [
    DemoBody("绍兴市社会矛盾纠纷调处化解中心", P, CITY, "330600",
             ("labour", "family", "neighbour", "land", "property", "consumer", "maritime",
              "traffic", "medical", "other"),
             "重大疑难纠纷、跨区域纠纷、多部门联合调处", "越城区延安东路 1 号",
             "0575-85201234", OFFICE_HOURS + "；节假日值班",
             "全市矛盾纠纷一站式接收、一揽子调处、全链条解决的综合平台，"
             "受理跨区域、跨部门以及村、镇两级未能化解的纠纷。"),
    DemoBody("电商枫桥调解工作室", IND, CITY, "330600", ("consumer", "property"),
             "网络购物、直播带货、平台商户与消费者纠纷、物流损毁",
             "越城区电商产业园 3 号楼 201 室", "0575-85205678", "每天 9:00-21:00（在线）",
             "联合电商平台和市场监管部门设立，专门调解网络交易纠纷，全程在线办理。"),
    DemoBody("海上枫桥渔事纠纷调解中心", IND, CITY, "330600", ("maritime", "labour", "property"),
             "渔船碰撞、渔具损毁、船员劳务报酬、海域养殖", "上虞区沥海街道渔港路 8 号",
             "0575-82106688", "周一至周五 8:00-17:00；休渔期每天值班",
             "由海洋渔业部门、边防派出所和渔业协会共同设立，出海作业期间可通过视频调解。"),
    DemoBody("绍兴市劳动人事争议调解中心", A, CITY, "330600", ("labour",),
             "欠薪、工伤赔偿、劳动合同解除、社会保险", "越城区解放北路 100 号",
             "0575-85120000", description="人社部门设立的劳动人事争议调解组织，"
             "调解不成的可引导申请劳动仲裁。"),
    DemoBody("绍兴市医疗纠纷人民调解委员会", P, CITY, "330600", ("medical",),
             "医疗损害赔偿、医患沟通", "越城区中兴南路 55 号", "0575-85136600"),
    DemoBody("绍兴市道路交通事故纠纷调解中心", A, CITY, "330600", ("traffic",),
             "交通事故损害赔偿、保险理赔", "越城区二环北路 66 号", "0575-85170122"),
    DemoBody("枫桥镇人民调解委员会", P, TOWN, "330681",
             ("family", "neighbour", "land", "labour", "property", "other"),
             "土地承包、山林权属、宅基地、婚姻家庭", "诸暨市枫桥镇枫源路 1 号",
             "0575-87001234", description="“枫桥经验”发源地的镇级调委会，"
             "小事不出村、大事不出镇。"),
    DemoBody("枫桥镇劳动人事争议调解中心", A, TOWN, "330681", ("labour",),
             "欠薪、劳务报酬、工伤", "诸暨市枫桥镇枫源路 3 号", "0575-87001288"),
    DemoBody("枫桥镇交通事故纠纷调解室", A, TOWN, "330681", ("traffic",),
             "交通事故损害赔偿", "诸暨市枫桥镇交警中队一楼", "0575-87001110"),
    DemoBody("城南街道人民调解委员会", P, TOWN, "330602",
             ("family", "neighbour", "property", "consumer", "labour", "other"),
             "物业纠纷、房屋租赁、邻里纠纷", "越城区城南街道城南大道 200 号", "0575-88123456"),
    DemoBody("园区枫桥劳动争议调解站", IND, TOWN, "330602", ("labour",),
             "园区企业欠薪、劳务派遣、工伤", "越城区城南街道高新园区服务中心 2 楼",
             "0575-88125678", "周一至周六 8:30-17:30",
             "设在工业园区内，企业、工会和人社部门共同参与，就地化解劳动争议。"),
    DemoBody("柯桥街道人民调解委员会", P, TOWN, "330603",
             ("family", "neighbour", "land", "labour", "property", "consumer", "other"),
             "纺织市场商户纠纷、房屋租赁", "柯桥区柯桥街道笛扬路 18 号", "0575-84123456"),
    DemoBody("沥海街道人民调解委员会", P, TOWN, "330604",
             ("family", "neighbour", "land", "maritime", "labour", "property", "other"),
             "海域滩涂、渔村邻里、征地拆迁", "上虞区沥海街道沥海大道 9 号", "0575-82101234"),
    DemoBody("枫源村人民调解室", P, VILLAGE, "330681101",
             ("family", "neighbour", "land", "property"),
             "赡养、宅基地边界、邻里", "枫源村文化礼堂一楼", "0575-87002101",
             "每天 8:00-20:00（调解员轮值）"),
    DemoBody("陈家村人民调解室", P, VILLAGE, "330681102", ("family", "neighbour", "land"),
             "婚姻家庭、山林边界", "陈家村村委会", "0575-87002102"),
    DemoBody("城南社区人民调解室", P, VILLAGE, "330602201", ("family", "neighbour", "property"),
             "物业、噪声、漏水等邻里纠纷", "城南社区服务中心", "0575-88120201"),
    DemoBody("笛扬社区人民调解室", P, VILLAGE, "330603201", ("family", "neighbour", "property"),
             "家庭、邻里", "笛扬社区服务中心", "0575-84120201"),
    DemoBody("海塘村人民调解室", P, VILLAGE, "330604101", ("family", "neighbour", "maritime"),
             "渔船停靠、渔具、家庭纠纷", "海塘村渔民之家", "0575-82102101"),
]


@dataclass(frozen=True)
class DemoMediator:
    phone: str
    name: str
    body: str
    specialties: tuple[str, ...]
    years: int
    languages: str = "普通话、绍兴话"
    charges: bool = False
    bio: str = ""


CENTRE, TOWN_BODY = "绍兴市社会矛盾纠纷调处化解中心", "枫桥镇人民调解委员会"
# Their passwords are the demo password; only 13800000004 is printed as a login.
MEDIATORS: list[DemoMediator] = [
    DemoMediator("13800000004", "王调解", TOWN_BODY, ("婚姻家庭", "赡养", "宅基地"), 18,
                 "普通话、诸暨话", bio="村支书出身，熟悉农村土地和家庭纠纷。"),
    DemoMediator("13700000101", "杨守信", TOWN_BODY, ("土地承包", "山林权属"), 22,
                 "普通话、诸暨话"),
    DemoMediator("13700000102", "骆春燕", TOWN_BODY, ("婚姻家庭", "邻里纠纷"), 9,
                 "普通话、诸暨话"),
    DemoMediator("13700000111", "周立群", CENTRE, ("重大疑难纠纷", "征地拆迁"), 25,
                 bio="退休法官，擅长复杂多方纠纷。"),
    DemoMediator("13700000112", "孙慧敏", CENTRE, ("医疗纠纷", "人身损害赔偿"), 12),
    DemoMediator("13700000113", "金国强", CENTRE, ("劳动争议", "工伤赔偿"), 15),
    DemoMediator("13700000121", "陈思远", "电商枫桥调解工作室", ("网络购物", "直播带货"), 6,
                 "普通话、英语", True, "律师，熟悉电子商务法。"),
    DemoMediator("13700000122", "林晓", "电商枫桥调解工作室", ("平台商户纠纷", "物流损毁"), 4,
                 "普通话"),
    DemoMediator("13700000131", "何海生", "海上枫桥渔事纠纷调解中心", ("渔船碰撞", "渔具损毁"),
                 20, "普通话、上虞话", bio="老船长，熟悉近海作业规矩。"),
    DemoMediator("13700000132", "吴秀英", "海上枫桥渔事纠纷调解中心", ("船员劳务报酬",), 11,
                 "普通话、上虞话"),
    DemoMediator("13700000133", "沈浩", "海上枫桥渔事纠纷调解中心", ("海域养殖", "滩涂承包"), 7,
                 "普通话、上虞话"),
    DemoMediator("13700000141", "钱文华", "绍兴市劳动人事争议调解中心", ("欠薪", "社会保险"), 14),
    DemoMediator("13700000142", "郑丽", "绍兴市劳动人事争议调解中心", ("劳动合同解除",), 8),
    DemoMediator("13700000151", "冯建明", "城南街道人民调解委员会", ("物业纠纷", "房屋租赁"), 10),
    DemoMediator("13700000152", "褚红梅", "城南街道人民调解委员会", ("邻里纠纷", "婚姻家庭"), 16),
    DemoMediator("13700000161", "蒋力", "园区枫桥劳动争议调解站", ("欠薪", "劳务派遣"), 9),
    DemoMediator("13700000162", "韩雪", "园区枫桥劳动争议调解站", ("工伤",), 5, "普通话、英语"),
    DemoMediator("13700000163", "朱永康", "园区枫桥劳动争议调解站", ("集体劳动争议",), 13),
    DemoMediator("13700000171", "楼国华", "枫源村人民调解室", ("赡养", "宅基地边界"), 30,
                 "诸暨话", bio="村里的老娘舅。"),
    DemoMediator("13700000172", "陈桂芳", "枫源村人民调解室", ("婚姻家庭", "邻里纠纷"), 12,
                 "诸暨话、普通话"),
]
