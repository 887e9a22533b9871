"""Demo data of the organization tree: the Yiling district (夷陵区) as the 2018 case describes it.

Loaded by ``manage.py seed_demo`` (see :mod:`yiling.demo`). Everything is written through
``organizations.services``; rows are found again by ``code``, so a second run changes nothing.

Code scheme (ASCII letters, digits and '-' only; stable, so other apps' demo data may refer to them):

=====================  ===============================  ======================================
what                   unit code                        example
=====================  ===============================  ======================================
district               ``YL``                           夷陵区
street                 ``YL-<street>``                  ``YL-XXT`` 小溪塔街道, ``YL-DC`` 东城街道
community              ``YL-<street>-<community>``      ``YL-XXT-LZ`` 绿洲社区, ``YL-XXT-XA`` 兴安社区
industrial park        ``YL-<park>``                    ``YL-KFQ`` 夷陵经济开发区, ``YL-LQGY`` 龙泉工业园
compound (70)          ``CP-001`` .. ``CP-070``         ``CP-001`` 恒大绿洲, ``CP-013`` 平湖国际
enterprise             ``EN-<firm>``                    ``EN-WHH`` 娃哈哈, ``EN-DSC-01`` (in 电商产业城)
district agency (67)   ``AG-01`` .. ``AG-67``           ``AG-01`` 区委办公室
business district (8)  ``BD-<market>``                  ``BD-CJSC`` 长江市场, ``BD-SXCC`` 三峡茶城
member-run shop        ``SH-<market>-NN``               ``SH-CJSC-01``
=====================  ===============================  ======================================

An organization's code is ``ORG-`` + the code of the unit it sits in: ``ORG-YL`` (中共宜昌市夷陵区委员会,
the root), ``ORG-YL-XXT`` (小溪塔街道党工委), ``ORG-YL-XXT-LZ``, ``ORG-CP-013`` (平湖国际小区党支部),
``ORG-AG-01``, ``ORG-EN-DSC`` (夷陵电商产业城联合党支部).

Tree: root → street/park working committees (and agency branches) → community organizations →
compound branches; enterprise branches hang under their park's organization. 56 of the 70 compounds
have their own branch (which then covers the compound); the other 14 (the last two compounds of each
community with seven or more) are covered by their community's organization. Parks without an
organization of their own, and agencies without a branch, are covered by the root.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q

from yiling.demo import DemoContext, DemoLogin, ensure_group, ensure_user, login_for

from .models import Organization, OrgKind, Role, RoleAssignment, Unit, UnitType
from .services import (
    organization_children_create_bulk,
    organization_create,
    organization_move,
    organization_update,
    role_assign,
    unit_create,
    unit_update,
    units_cover_bulk,
    units_create_bulk,
)

DISTRICT = ("YL", "夷陵区", "中共宜昌市夷陵区委员会")

#: code, name, organization name
STREETS = [
    ("YL-XXT", "小溪塔街道", "小溪塔街道党工委"),
    ("YL-DC", "东城街道", "东城街道党工委"),
]

#: code, name, organization name (None: covered by the district), organization kind
PARKS = [
    ("YL-KFQ", "夷陵经济开发区", "夷陵经济开发区党工委", OrgKind.WORKING_COMMITTEE),
    ("YL-LQGY", "龙泉工业园", "龙泉工业园党委", OrgKind.COMMITTEE),
    ("YL-YQLGY", "鸦鹊岭工业园", None, None),
    ("YL-JJWGY", "姜家湾工业园", None, None),
    ("YL-DCGY", "东城工业园", None, None),
    ("YL-LTXGY", "乐天溪工业园", None, None),
]

#: code, street, name, organization name, kind, compound-type?, compounds (the last two of a
#: community with seven or more compounds have no branch of their own)
# fmt: off
COMMUNITIES: list[tuple[str, str, str, str, str, bool, list[str]]] = [
    ("YL-XXT-LZ", "YL-XXT", "绿洲社区", "绿洲社区党总支", OrgKind.GENERAL_BRANCH, True, ["恒大绿洲"]),
    ("YL-XXT-RC", "YL-XXT", "润城社区", "润城社区党总支", OrgKind.GENERAL_BRANCH, True, ["清江润城"]),
    (
        "YL-XXT-XA", "YL-XXT", "兴安社区", "兴安社区党委", OrgKind.COMMITTEE, False,
        ["楚天明珠", "兴安小区", "金缔华府", "书香门第", "夷兴花园", "三峡明珠苑", "桂花园", "翠屏小区",
         "粮食小区", "供销小区"],
    ),
    (
        "YL-XXT-DH", "YL-XXT", "东湖社区", "东湖社区党委", OrgKind.COMMITTEE, False,
        ["平湖国际", "东湖名都", "东湖花园", "滨湖一号", "丽景天城", "碧水蓝天", "观澜苑", "望江苑",
         "盛世华庭", "中央公馆", "电力小区", "邮电小区"],
    ),
    (
        "YL-XXT-XH", "YL-XXT", "西湖社区", "西湖社区党委", OrgKind.COMMITTEE, False,
        ["松湖花园", "西湖春晓", "翡翠华庭", "水岸花城", "江南春城", "金湖湾", "紫薇苑", "怡景花园",
         "山水华府", "交通小区", "水利小区"],
    ),
    (
        "YL-XXT-YP", "YL-XXT", "营盘社区", "营盘社区党委", OrgKind.COMMITTEE, False,
        ["锦绣星城", "阳光新城", "学府佳苑", "天元名城", "世纪花园", "金色家园", "幸福家园", "凤凰城",
         "兰亭雅苑", "教育小区", "营盘小区"],
    ),
    (
        "YL-XXT-DJB", "YL-XXT", "丁家坝社区", "丁家坝社区党总支", OrgKind.GENERAL_BRANCH, False,
        ["地质花苑", "丁家坝小区", "珠河苑", "樟树苑", "清江苑", "鼎盛名门", "楚天华庭", "金峡花园",
         "建设小区", "银河小区"],
    ),
    (
        "YL-DC-GZ", "YL-DC", "官庄社区", "官庄社区党总支", OrgKind.GENERAL_BRANCH, False,
        ["东城国际", "官庄新村", "龙盘湖壹号", "恒信江城", "和谐家园", "官庄小区", "东山花园"],
    ),
    (
        "YL-DC-YJW", "YL-DC", "杨家湾社区", "杨家湾社区党总支", OrgKind.GENERAL_BRANCH, False,
        ["锦绣江南", "金色华府", "梅园小区", "夷陵人家", "江山多娇", "杨家湾小区", "黄金卡小区"],
    ),
]
# fmt: on

#: households, residents where the case (or the demo) fixes them; the rest follow compound_figures()
COMPOUND_FIGURES = {
    "恒大绿洲": (2717, 8197),
    "清江润城": (1860, 5512),
    "平湖国际": (1275, 3826),
    "松湖花园": (760, 2240),
    "楚天明珠": (420, 1180),
    "锦绣星城": (980, 2950),
    "地质花苑": (310, 820),
}
COMPOUNDS_WITHOUT_BRANCH_PER_COMMUNITY = 2

#: code, park, name, organization name (None: covered by the park's organization), kind, located in
ENTERPRISES: list[tuple[str, str, str, str | None, str | None, str | None]] = [
    ("EN-WHH", "YL-KFQ", "宜昌娃哈哈饮料有限公司", "娃哈哈公司党支部", OrgKind.BRANCH, None),
    ("EN-XSJT", "YL-KFQ", "湖北萧氏茶业集团有限公司", "萧氏集团党支部", OrgKind.BRANCH, None),
    ("EN-ZSX", "YL-KFQ", "宜昌醉三峡酒业有限公司", "醉三峡公司党支部", OrgKind.BRANCH, None),
    ("EN-ZY", "YL-KFQ", "宜昌中元能源科技有限公司", "中元公司党支部", OrgKind.BRANCH, None),
    ("EN-CY", "YL-KFQ", "宜昌昌耀新材料有限公司", "昌耀公司党支部", OrgKind.BRANCH, None),
    ("EN-DSC", "YL-KFQ", "夷陵电商产业城", "夷陵电商产业城联合党支部", OrgKind.JOINT_BRANCH, None),
    ("EN-DSC-01", "YL-KFQ", "宜昌峡客电子商务有限公司", None, None, "EN-DSC"),
    ("EN-DSC-02", "YL-KFQ", "夷陵橘乡电商有限公司", None, None, "EN-DSC"),
    ("EN-DSC-03", "YL-KFQ", "宜昌茶韵网络科技有限公司", None, None, "EN-DSC"),
    ("EN-DSC-04", "YL-KFQ", "三峡优品电子商务有限公司", None, None, "EN-DSC"),
    ("EN-SXJG", "YL-KFQ", "宜昌三峡精工机械有限公司", None, None, None),
    ("EN-LQJC", "YL-LQGY", "宜昌龙泉建材有限公司", "龙泉建材公司党支部", OrgKind.BRANCH, None),
    ("EN-HXSP", "YL-LQGY", "宜昌鸿鑫食品有限公司", None, None, None),
]

#: The rest of the case's 38 enterprise branches (建立企业党支部38个), each in its own firm: code, park, name,
#: organization name. Created in bulk (see _Seeder.enterprises_in_bulk): one by one they would cost seed_demo
#: about a second.
# fmt: off
MORE_ENTERPRISE_BRANCHES: list[tuple[str, str, str, str]] = [
    ("EN-HHYY", "YL-KFQ", "宜昌华辉医药有限公司", "华辉医药公司党支部"),
    ("EN-SXDL", "YL-KFQ", "三峡电力设备有限公司", "三峡电力设备公司党支部"),
    ("EN-YLGT", "YL-KFQ", "夷陵钢构工程有限公司", "夷陵钢构公司党支部"),
    ("EN-XLSP", "YL-KFQ", "宜昌喜乐食品有限公司", "喜乐食品公司党支部"),
    ("EN-JYWL", "YL-KFQ", "宜昌佳运物流有限公司", "佳运物流公司党支部"),
    ("EN-HDHG", "YL-KFQ", "宜昌恒达化工有限公司", "恒达化工公司党支部"),
    ("EN-QJZY", "YL-KFQ", "清江纸业有限公司", "清江纸业公司党支部"),
    ("EN-LDKJ", "YL-KFQ", "宜昌绿动科技有限公司", "绿动科技公司党支部"),
    ("EN-SXTC", "YL-KFQ", "三峡陶瓷有限公司", "三峡陶瓷公司党支部"),
    ("EN-YCHL", "YL-KFQ", "宜昌华龙汽车零部件有限公司", "华龙汽车零部件公司党支部"),
    ("EN-XZDZ", "YL-KFQ", "峡州电子科技有限公司", "峡州电子公司党支部"),
    ("EN-MSYS", "YL-KFQ", "宜昌明盛印刷有限公司", "明盛印刷公司党支部"),
    ("EN-JHZY", "YL-KFQ", "金海制衣有限公司", "金海制衣公司党支部"),
    ("EN-YXBZ", "YL-KFQ", "宜兴包装材料有限公司", "宜兴包装公司党支部"),
    ("EN-TYXN", "YL-KFQ", "宜昌天宇新能源有限公司", "天宇新能源公司党支部"),
    ("EN-HBLS", "YL-KFQ", "湖北律盛律师事务所", "律盛律师事务所党支部"),
    ("EN-XKHL", "YL-KFQ", "峡客互联网络科技有限公司", "峡客互联公司党支部"),
    ("EN-BYCS", "YL-KFQ", "宜昌百益超市连锁有限公司", "百益超市公司党支部"),
    ("EN-SXJZ", "YL-KFQ", "三峡建筑工程有限公司", "三峡建筑公司党支部"),
    ("EN-YLCY", "YL-KFQ", "夷陵茶业有限公司", "夷陵茶业公司党支部"),
    ("EN-QJZB", "YL-KFQ", "清江装备制造有限公司", "清江装备公司党支部"),
    ("EN-LQSN", "YL-LQGY", "龙泉水泥有限公司", "龙泉水泥公司党支部"),
    ("EN-LQMY", "YL-LQGY", "龙泉木业有限公司", "龙泉木业公司党支部"),
    ("EN-LQGC", "YL-LQGY", "龙泉钢材有限公司", "龙泉钢材公司党支部"),
    ("EN-LQNJ", "YL-LQGY", "龙泉农机有限公司", "龙泉农机公司党支部"),
    ("EN-LQSL", "YL-LQGY", "龙泉塑料制品有限公司", "龙泉塑料公司党支部"),
    ("EN-LQYL", "YL-LQGY", "龙泉饮料有限公司", "龙泉饮料公司党支部"),
    ("EN-LQFZ", "YL-LQGY", "龙泉纺织有限公司", "龙泉纺织公司党支部"),
    ("EN-LQJX", "YL-LQGY", "龙泉机械制造有限公司", "龙泉机械公司党支部"),
    ("EN-LQHB", "YL-LQGY", "龙泉环保科技有限公司", "龙泉环保公司党支部"),
    ("EN-LQDQ", "YL-LQGY", "龙泉电气有限公司", "龙泉电气公司党支部"),
]
#: firms whose members are attached to their park's organization (挂靠建): code, park, name
ATTACHED_ENTERPRISES: list[tuple[str, str, str]] = [
    ("EN-YHKJ", "YL-KFQ", "宜昌远航科技有限公司"),
    ("EN-HTJD", "YL-KFQ", "宜昌华泰机电有限公司"),
    ("EN-ZXWL", "YL-KFQ", "中信物流宜昌分公司"),
    ("EN-XYSP", "YL-LQGY", "鑫源食品有限公司"),
    ("EN-DFJC", "YL-LQGY", "东方建材有限公司"),
]
# fmt: on

#: code, street, name — the business districts of the case (4 main streets, 8 markets), each with a
#: general branch of its own (``ORG-BD-…``) that covers its shops, so the business district's secretary
#: reaches them
BUSINESS_DISTRICTS = [
    ("BD-CJSC", "YL-XXT", "长江市场"),
    ("BD-SXCC", "YL-XXT", "三峡茶城"),
    ("BD-XXNM", "YL-XXT", "小溪塔农贸市场"),
    ("BD-YXDD", "YL-XXT", "夷兴大道商业街"),
    ("BD-JCSC", "YL-XXT", "夷陵建材市场"),
    ("BD-QPC", "YL-DC", "夷陵汽配城"),
    ("BD-DCNM", "YL-DC", "东城农贸市场"),
    ("BD-FZDD", "YL-DC", "发展大道商圈"),
    # merchants (issue 11): the case's 4 main streets and 8 markets
    ("BD-YLDD", "YL-XXT", "夷陵大道商业街"),
    ("BD-XXTB", "YL-XXT", "小溪塔步行街"),
    ("BD-GSPF", "YL-DC", "三峡果蔬批发市场"),
    ("BD-DCXS", "YL-DC", "东城小商品市场"),
]

#: code, business district, name
SHOPS = [
    ("SH-CJSC-01", "BD-CJSC", "张记粮油店"),
    ("SH-CJSC-02", "BD-CJSC", "红星五金店"),
    ("SH-CJSC-03", "BD-CJSC", "三峡土特产专卖店"),
    ("SH-SXCC-01", "BD-SXCC", "邓村绿茶专卖店"),
    ("SH-SXCC-02", "BD-SXCC", "峡州茶行"),
    ("SH-DCNM-01", "BD-DCNM", "东城鲜肉铺"),
]

#: the 67 district agencies (区直单位), AG-01 .. AG-67 in this order
# fmt: off
AGENCIES = [
    "区委办公室", "区人大常委会办公室", "区政府办公室", "区政协办公室", "区纪委监委机关",
    "区委组织部", "区委宣传部", "区委统战部", "区委政法委", "区委政策研究室",
    "区委机构编制委员会办公室", "区委巡察办", "区委老干部局", "区直机关工委", "区委党校",
    "区总工会", "团区委", "区妇联", "区科协", "区工商联",
    "区残联", "区文联", "区红十字会", "区发展和改革局", "区教育局",
    "区科学技术和经济信息化局", "区公安局", "区民政局", "区司法局", "区财政局",
    "区人力资源和社会保障局", "区自然资源和规划局", "区生态环境局", "区住房和城乡建设局", "区交通运输局",
    "区水利和湖泊局", "区农业农村局", "区商务局", "区文化和旅游局", "区卫生健康局",
    "区退役军人事务局", "区应急管理局", "区审计局", "区市场监督管理局", "区统计局",
    "区医疗保障局", "区林业局", "区城市管理执法局", "区信访局", "区政务服务和大数据管理局",
    "区人民法院", "区人民检察院", "区机关事务服务中心", "区融媒体中心", "区档案馆",
    "区供销合作社联合社", "区房产管理局", "区消防救援大队", "区税务局", "区气象局",
    "区人民防空办公室", "区移民工作中心", "区疾病预防控制中心", "区烟草专卖局", "区公共资源交易中心",
    "区不动产登记中心", "区社会保险事业中心",
]
# fmt: on
#: agencies with a branch of their own (under the root)
AGENCY_BRANCHES = {"区委办公室", "区人大常委会办公室", "区公安局", "区住房和城乡建设局"}

assert len(AGENCIES) == len(set(AGENCIES)) == 67
_ALL_COMPOUNDS = [name for *_rest, compounds in COMMUNITIES for name in compounds]
assert len(_ALL_COMPOUNDS) == len(set(_ALL_COMPOUNDS)) == 70


def agency_code(index: int) -> str:
    return f"AG-{index:02d}"


def compound_code(index: int) -> str:
    return f"CP-{index:03d}"


def org_code(unit_code: str) -> str:
    return f"ORG-{unit_code}"


def compound_figures(index: int, name: str) -> tuple[int, int]:
    """Households and residents of the ``index``-th compound (1-based): fixed, no randomness."""
    if name in COMPOUND_FIGURES:
        return COMPOUND_FIGURES[name]
    households = 260 + (index * 173) % 900
    return households, households * 3 - (index * 29) % 260


def compound_branch_name(name: str) -> str:
    return f"{name}党支部" if name.endswith("小区") else f"{name}小区党支部"


def compound_has_branch(position: int, count: int) -> bool:
    """Whether the compound at ``position`` (0-based) of a community with ``count`` compounds has a branch."""
    return count < 7 or position < count - COMPOUNDS_WITHOUT_BRANCH_PER_COMMUNITY


def compound_plan() -> list[dict[str, Any]]:
    """The 70 compounds in code order: code, name, community code, figures, has_branch."""
    plan = []
    for community_code, _street, _name, _org, _kind, _ct, compounds in COMMUNITIES:
        for position, name in enumerate(compounds):
            index = len(plan) + 1
            households, residents = compound_figures(index, name)
            plan.append(
                {
                    "code": compound_code(index),
                    "name": name,
                    "community": community_code,
                    "households": households,
                    "residents": residents,
                    "has_branch": compound_has_branch(position, len(compounds)),
                }
            )
    return plan


class _Seeder:
    """Find-or-create through the services, remembering what this run created."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.units: dict[str, Unit] = {u.code: u for u in Unit.objects.all()}
        self.orgs: dict[str, Organization] = {o.code: o for o in Organization.objects.all()}
        self.new_units: set[str] = set()
        self.new_orgs: set[str] = set()
        ctx.touch("organizations")
        ctx.touch("units")

    # units ---------------------------------------------------------------------------------

    def unit(
        self,
        code: str,
        *,
        name: str,
        unit_type: str,
        parent: Unit | None,
        organization: Organization,
        is_compound_type: bool = False,
        households: int | None = None,
        residents: int | None = None,
        address: str = "",
    ) -> Unit:
        plain = {
            "name": name,
            "unit_type": unit_type,
            "is_compound_type": is_compound_type,
            "households": households,
            "residents": residents,
            "address": address,
        }
        related = {"parent": parent, "organization": organization}
        unit = self.units.get(code)
        if unit is None:
            unit = unit_create(code=code, **plain, **related)
            self.units[code] = unit
            self.new_units.add(code)
            self.ctx.tally("units", "created")
            return unit
        changes = {f: v for f, v in plain.items() if getattr(unit, f) != v}
        changes.update(
            {f: v for f, v in related.items() if getattr(unit, f"{f}_id") != (v.pk if v is not None else None)}
        )
        if changes:
            unit_update(unit=unit, **changes)
            if code not in self.new_units:
                self.ctx.tally("units", "updated")
        return unit

    # organizations -------------------------------------------------------------------------

    def organization(
        self, code: str, *, parent: Organization | None, name: str, kind: str, unit: Unit | None
    ) -> Organization:
        org = self.orgs.get(code)
        if org is None:
            org = organization_create(parent=parent, code=code, name=name, kind=kind, unit=unit)
            self.orgs[code] = org
            self.new_orgs.add(code)
            self.ctx.tally("organizations", "created")
            return org
        # Sibling inserts shift paths with bulk SQL: reload so an update records the true path.
        org.refresh_from_db()
        updated = False
        changes: dict[str, Any] = {
            f: v for f, v in {"name": name, "kind": kind, "is_active": True}.items() if getattr(org, f) != v
        }
        if org.unit_id != (unit.pk if unit is not None else None):
            changes["unit"] = unit
        if changes:
            organization_update(organization=org, **changes)
            updated = True
        if code not in self.new_orgs:
            current = Organization.objects.get_parent(org, update=True)
            if (current.pk if current else None) != (parent.pk if parent else None):
                if parent is not None:
                    parent.refresh_from_db()
                org = organization_move(organization=org, new_parent=parent)
                self.orgs[code] = org
                updated = True
        if updated and code not in self.new_orgs:
            self.ctx.tally("organizations", "updated")
        return org

    def unit_with_org(
        self,
        code: str,
        *,
        org_parent: Organization,
        org_name: str,
        org_kind: str,
        **unit_fields: Any,
    ) -> tuple[Unit, Organization]:
        """A unit with an organization of its own, which covers it.

        The unit is created first, covered by ``org_parent``; then its organization; then the unit is
        switched over to it.
        """
        code_of_org = org_code(code)
        unit = self.unit(code, organization=self.orgs.get(code_of_org) or org_parent, **unit_fields)
        org = self.organization(code_of_org, parent=org_parent, name=org_name, kind=org_kind, unit=unit)
        self.unit(code, organization=org, **unit_fields)
        return unit, org

    def enterprises_in_bulk(self, park_units: dict[str, Unit], park_orgs: dict[str, Organization]) -> None:
        """The further enterprises and their branches, written in bulk: first the units (covered by the
        park's organization), then their branches, then each unit handed over to its branch."""
        fields = {"unit_type": UnitType.ENTERPRISE}
        missing = [row for row in MORE_ENTERPRISE_BRANCHES if row[0] not in self.units]
        attached = [row for row in ATTACHED_ENTERPRISES if row[0] not in self.units]
        for code, park, name, org_name in MORE_ENTERPRISE_BRANCHES:
            if code in self.units:  # found again one by one: find-or-update as for every other unit
                self.unit_with_org(
                    code,
                    org_parent=park_orgs[park],
                    org_name=org_name,
                    org_kind=OrgKind.BRANCH,
                    name=name,
                    parent=park_units[park],
                    **fields,
                )
        for code, park, name in ATTACHED_ENTERPRISES:
            if code in self.units:
                self.unit(code, name=name, parent=park_units[park], organization=park_orgs[park], **fields)
        if not missing and not attached:
            return
        new_units = units_create_bulk(
            units=[
                Unit(code=code, name=name, parent=park_units[park], organization=park_orgs[park], **fields)
                for code, park, name, *_org in missing + attached
            ]
        )
        by_code = {u.code: u for u in new_units}
        self.units.update(by_code)
        self.new_units.update(by_code)
        self.ctx.tally("units", "created", len(new_units))
        created: dict[str, Organization] = {}
        for park in dict.fromkeys(row[1] for row in missing):
            rows = [row for row in missing if row[1] == park]
            children = [
                Organization(code=org_code(code), name=org_name, kind=OrgKind.BRANCH, unit=by_code[code])
                for code, _park, _name, org_name in rows
            ]
            for org in organization_children_create_bulk(parent=park_orgs[park], children=children):
                created[org.code] = org
        self.orgs.update(created)
        self.new_orgs.update(created)
        self.ctx.tally("organizations", "created", len(created))
        units = [by_code[code] for code, *_rest in missing]
        units_cover_bulk(units=units, organizations=[created[org_code(u.code)] for u in units])

    # the district ------------------------------------------------------------------------------

    def run(self) -> None:
        code, name, root_name = DISTRICT
        root_code = org_code(code)
        root = self.organization(
            root_code, parent=None, name=root_name, kind=OrgKind.COMMITTEE, unit=self.units.get(code)
        )
        district = self.unit(code, name=name, unit_type=UnitType.DISTRICT, parent=None, organization=root)
        root = self.organization(root_code, parent=None, name=root_name, kind=OrgKind.COMMITTEE, unit=district)

        street_units: dict[str, Unit] = {}
        street_orgs: dict[str, Organization] = {}
        for s_code, s_name, s_org in STREETS:
            street_units[s_code], street_orgs[s_code] = self.unit_with_org(
                s_code,
                org_parent=root,
                org_name=s_org,
                org_kind=OrgKind.WORKING_COMMITTEE,
                name=s_name,
                unit_type=UnitType.STREET,
                parent=district,
            )

        park_units: dict[str, Unit] = {}
        park_orgs: dict[str, Organization] = {}
        for p_code, p_name, p_org, p_kind in PARKS:
            fields = {"name": p_name, "unit_type": UnitType.PARK, "parent": district}
            if p_org is None:
                park_units[p_code] = self.unit(p_code, organization=root, **fields)
                park_orgs[p_code] = root
            else:
                park_units[p_code], park_orgs[p_code] = self.unit_with_org(
                    p_code, org_parent=root, org_name=p_org, org_kind=p_kind, **fields
                )

        plan = compound_plan()
        for c_code, street, c_name, c_org, c_kind, compound_type, _names in COMMUNITIES:
            compounds = [c for c in plan if c["community"] == c_code]
            community, community_org = self.unit_with_org(
                c_code,
                org_parent=street_orgs[street],
                org_name=c_org,
                org_kind=c_kind,
                name=c_name,
                unit_type=UnitType.COMMUNITY,
                parent=street_units[street],
                is_compound_type=compound_type,
                households=sum(c["households"] for c in compounds),
                residents=sum(c["residents"] for c in compounds),
            )
            for c in compounds:
                fields = {
                    "name": c["name"],
                    "unit_type": UnitType.COMPOUND,
                    "parent": community,
                    "households": c["households"],
                    "residents": c["residents"],
                }
                if c["has_branch"]:
                    self.unit_with_org(
                        c["code"],
                        org_parent=community_org,
                        org_name=compound_branch_name(c["name"]),
                        org_kind=OrgKind.BRANCH,
                        **fields,
                    )
                else:
                    self.unit(c["code"], organization=community_org, **fields)

        enterprise_units: dict[str, Unit] = {}
        enterprise_orgs: dict[str, Organization] = {}
        for e_code, park, e_name, e_org, e_kind, located_in in ENTERPRISES:
            parent_unit = enterprise_units[located_in] if located_in else park_units[park]
            covering = enterprise_orgs[located_in] if located_in else park_orgs[park]
            fields = {"name": e_name, "unit_type": UnitType.ENTERPRISE, "parent": parent_unit}
            if e_org is None:
                enterprise_units[e_code] = self.unit(e_code, organization=covering, **fields)
                enterprise_orgs[e_code] = covering
            else:
                enterprise_units[e_code], enterprise_orgs[e_code] = self.unit_with_org(
                    e_code, org_parent=park_orgs[park], org_name=e_org, org_kind=e_kind, **fields
                )

        self.enterprises_in_bulk(park_units, park_orgs)

        markets: dict[str, Unit] = {}
        market_orgs: dict[str, Organization] = {}
        for b_code, street, b_name in BUSINESS_DISTRICTS:
            markets[b_code], market_orgs[b_code] = self.unit_with_org(
                b_code,
                org_parent=street_orgs[street],
                org_name=f"{b_name}党总支",
                org_kind=OrgKind.GENERAL_BRANCH,
                name=b_name,
                unit_type=UnitType.BUSINESS_DISTRICT,
                parent=street_units[street],
            )
        for s_code, market, s_name in SHOPS:
            self.unit(
                s_code,
                name=s_name,
                unit_type=UnitType.SHOP,
                parent=markets[market],
                organization=market_orgs[market],
            )

        for index, a_name in enumerate(AGENCIES, start=1):
            fields = {"name": a_name, "unit_type": UnitType.AGENCY, "parent": district}
            if a_name in AGENCY_BRANCHES:
                self.unit_with_org(
                    agency_code(index),
                    org_parent=root,
                    org_name=f"{a_name}党支部",
                    org_kind=OrgKind.BRANCH,
                    **fields,
                )
            else:
                self.unit(agency_code(index), organization=root, **fields)


def seed(ctx: DemoContext) -> None:
    _Seeder(ctx).run()


def seed_governance(ctx: DemoContext) -> None:
    """Branch posts, owners' committees, venues and money: after the roster, whose members hold the posts."""
    from .demo_governance import seed as governance_seed

    governance_seed(ctx)


def seed_programme(ctx: DemoContext) -> None:
    """This year's supervision programme and its tasks (yiling's notices)."""
    from .demo_notices import seed_programme as programme_seed

    programme_seed(ctx)


#: The governance data needs the members the roster's demo (ORDER 100) creates.
LATER_SEEDS = [(200, seed_governance), (300, seed_programme)]


# --- demo accounts -------------------------------------------------------------------------------


def _code_of_compound(name: str) -> str:
    return next(c["code"] for c in compound_plan() if c["name"] == name)


#: username, full name, is_staff, group, role, organization code / unit code it is bound to
ACCOUNTS: list[tuple[str, str, bool, str | None, str, str]] = [
    ("district", "刘志强", True, "district staff", Role.DISTRICT_STAFF, "ORG-YL"),
    ("street", "陈晓燕", True, "street staff", Role.STREET_STAFF, "ORG-YL-XXT"),
    ("community", "张丽华", False, None, Role.COMMUNITY_SECRETARY, "ORG-YL-XXT-XA"),
    ("compound", "周海涛", False, None, Role.COMPOUND_SECRETARY, org_code(_code_of_compound("平湖国际"))),
    ("agency", "李明", False, None, Role.AGENCY_CONTACT, "AG-01"),
    ("merchant", "黄德明", False, None, Role.MERCHANT, "SH-CJSC-01"),
]


#: apps whose permissions the staff groups get: all of them for the district, view/add/change for streets
STAFF_APPS = ("organizations", "members", "merchants", "liaisons", "alliances")
#: permissions the district keeps to itself (app_label.codename)
DISTRICT_ONLY = {"members.view_personal_data"}


#: yiling's notice models (programmes, tasks, deliveries, …) the staff groups work with, like an app's
NOTICE_MODELS = ("programme", "task", "progressreport", "notice", "delivery", "streetwebhook")


def _groups(ctx: DemoContext) -> dict[str, Any]:
    staff_perms = list(
        Permission.objects.filter(
            Q(content_type__app_label__in=STAFF_APPS)
            | Q(content_type__app_label="yiling", content_type__model__in=NOTICE_MODELS)
        ).select_related("content_type")
    )
    # The notice schedules (django-celery-beat) are the district's to change.
    schedule_perms = list(Permission.objects.filter(content_type__app_label="django_celery_beat"))
    # Staff onboard people themselves: accounts are created, reset and deactivated through the accounts admin.
    user_perms = list(
        Permission.objects.filter(
            content_type__app_label="yiling", codename__in=("view_user", "add_user", "change_user")
        )
    )
    street_perms = [
        p
        for p in staff_perms
        if p.codename.split("_", 1)[0] in {"view", "change", "add"}
        and f"{p.content_type.app_label}.{p.codename}" not in DISTRICT_ONLY
    ]
    return {
        "district staff": ensure_group(ctx, "district staff", staff_perms + user_perms + schedule_perms),
        "street staff": ensure_group(ctx, "street staff", street_perms + user_perms),
    }


def accounts(ctx: DemoContext) -> list[DemoLogin]:
    ctx.touch("accounts")
    ctx.touch("role assignments")
    ctx.touch("groups")
    groups = _groups(ctx)
    logins = []
    for username, full_name, is_staff, group, role, target_code in ACCOUNTS:
        user = ensure_user(
            ctx,
            username=username,
            full_name=full_name,
            is_staff=is_staff,
            groups=[groups[group]] if group else [],
        )
        if role in (Role.AGENCY_CONTACT, Role.MERCHANT):
            target: Any = Unit.objects.get(code=target_code)
            binding = {"organization": None, "unit": target}
            bound_to = f"{target.parent} · {target}" if role == Role.MERCHANT else str(target)
        else:
            target = Organization.objects.get(code=target_code)
            binding = {"organization": target, "unit": None}
            bound_to = str(target)
        if not RoleAssignment.objects.filter(user=user, role=role, **binding).exists():
            role_assign(user=user, role=role, **binding)
            ctx.tally("role assignments", "created")
        logins.append(login_for(ctx, user, Role(role).label, bound_to))
    return logins


def after_accounts(ctx: DemoContext) -> None:
    """Every app's accounts exist now (the park's, the business district's too): the notices the rules
    send them today (the demo's inbox)."""
    from .demo_notices import send_notices

    send_notices(ctx)
