"""Demo data of the roster: the party members of the 2018 Yiling case.

Loaded by ``manage.py seed_demo`` (see :mod:`yiling.demo`) after the organization tree (this app sits
after ``organizations`` in ``INSTALLED_APPS``). Everything is written through ``members.services``;
members are found again by ID number, report-ins, posts, floating records and transfers by member, so
a second run writes nothing.

What the case says and the demo holds:

* 491 members held by the enterprise branches (管理服务企业党员491名), spread over the branches by
  size; most in service and employed by the firm, a few retired; many live in the ordinary compounds
  and have reported in there;
* 155 members living in 平湖国际 (CP-013, paired with 区委办公室): retired members held by the compound
  branch, in-service members of the district agencies (held by the agency's branch where it has one,
  otherwise by the compound branch), two incoming floating members. The in-service ones have
  reported in; a few report-ins still await the compound secretary. Four of the six posts are held,
  neighbourhood watch and patrol are vacant;
* 229 members living in 锦绣星城, every one of them holding one of the six posts (六员);
* retired members in 地质花苑, held by its branch (老党员牵头成立小区党组织);
* floating members: outgoing (gone to work in 深圳, 武汉 …) and incoming (from other provinces, the
  membership held outside the district, taking part where they live); two membership transfers.

Names, ID numbers, phones and dates come from fixed lists and a fixed mixing function: no randomness,
no ``today()``. Report-in times are ``timezone.now()`` (set by the services) on the first run only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from organizations.demo import agency_code, compound_plan, org_code
from organizations.models import Organization, Unit, UnitType
from yiling.demo import DemoContext

from .idnumbers import make_id_number
from .models import Category, CheckIn, Education, FloatingRecord, Gender, Member, MemberStatus, PostKind
from .services import (
    checkin_confirm,
    checkin_submit,
    floating_record_open,
    member_create,
    member_transfer,
    member_update,
    volunteer_post_assign,
)

ENTERPRISE_MEMBERS = 491
PINGHU = "平湖国际"
JINXIU = "锦绣星城"
DIZHI = "地质花苑"

#: 平湖国际: retired members held by the branch (one of them transferred in), in-service members
#: (the last PINGHU_PENDING of whom still await confirmation) and incoming floating members
PINGHU_RETIRED = 50
PINGHU_IN_SERVICE = 103
PINGHU_PENDING = 6
PINGHU_INCOMING = 2
#: posts held at 平湖国际 (holders per post); 邻里守望员 and 治安巡逻员 are vacant
PINGHU_POSTS = {PostKind.SANITATION: 4, PostKind.SAFETY: 3, PostKind.PARKING: 3, PostKind.PUBLICITY: 2}
JINXIU_RETIRED = 84
JINXIU_IN_SERVICE = 145
DIZHI_RETIRED = 40
DIZHI_POSTS = {PostKind.SANITATION: 2, PostKind.PUBLICITY: 2, PostKind.NEIGHBOURHOOD_WATCH: 2}

#: relative sizes of the enterprise branches (branches not listed weigh DEFAULT_BRANCH_WEIGHT)
BRANCH_WEIGHTS = {
    "ORG-EN-WHH": 120,
    "ORG-EN-XSJT": 85,
    "ORG-EN-ZSX": 70,
    "ORG-EN-LQJC": 70,
    "ORG-EN-ZY": 55,
    "ORG-EN-CY": 48,
    "ORG-EN-DSC": 43,
}
DEFAULT_BRANCH_WEIGHT = 30

#: where outgoing floating members went: place, reason, since
OUTGOING = [
    ("广东省深圳市", "外出务工(电子厂技术员)", date(2019, 3, 1)),
    ("湖北省武汉市", "外出务工(建筑公司项目经理)", date(2020, 2, 15)),
    ("广东省东莞市", "外出务工", date(2017, 8, 10)),
    ("上海市", "外出经商(开办餐馆)", date(2021, 5, 20)),
    ("浙江省杭州市", "外出务工(电商企业)", date(2022, 4, 1)),
    ("湖北省武汉市", "外出务工(物流公司)", date(2023, 9, 1)),
    ("江苏省苏州市", "外出务工", date(2018, 6, 18)),
    ("广东省深圳市", "外出经商", date(2024, 3, 12)),
]

#: incoming floating members: ID region, where from, membership held by, reason, since
INCOMING = [
    ("511702", "四川省达州市", "四川省达州市通川区西城街道党工委", "在夷陵区务工", date(2019, 4, 1)),
    ("500101", "重庆市万州区", "重庆市万州区高笋塘街道党工委", "随子女居住", date(2020, 10, 8)),
    ("430602", "湖南省岳阳市", "湖南省岳阳市岳阳楼区城陵矶街道党工委", "在夷陵区经商", date(2021, 3, 16)),
    ("411302", "河南省南阳市", "河南省南阳市宛城区东关街道党工委", "在开发区企业务工", date(2018, 7, 2)),
    ("360602", "江西省鹰潭市", "江西省鹰潭市月湖区江边街道党工委", "随配偶居住", date(2022, 5, 5)),
    ("341102", "安徽省滁州市", "安徽省滁州市琅琊区西涧街道党工委", "在夷陵区务工", date(2023, 2, 20)),
    ("511702", "四川省达州市", "四川省达州市通川区朝阳街道党工委", "随子女居住", date(2024, 8, 30)),
    ("500101", "重庆市万州区", "重庆市万州区牌楼街道党工委", "在夷陵区务工", date(2017, 11, 11)),
]

#: where the members' ID numbers were issued: Yiling three times as often as the rest of Yichang
# fmt: off
REGIONS = [
    "420506", "420506", "420506", "420502", "420506", "420503", "420506", "420581", "420506",
    "420582", "420506", "420583", "420506", "420525", "420506", "420526", "420506", "420527",
    "420506", "420528", "420506", "420529", "420506", "420504", "420505",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃向汤望"
)
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞俊波宇浩凯健亮建国志文海林峰东晓红春德成兵新松远清坤"
FEMALE_GIVEN = "芳娟敏静丽艳娜秀霞燕玲桂英梅琳慧婷雪洁琴晶颖丹萍兰凤云红春华晓莉琪蓉倩琼"
# fmt: on
PHONE_PREFIXES = ["133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186"]
EDUCATION = {
    Category.RETIRED: [
        Education.HIGH_SCHOOL,
        Education.SECONDARY,
        Education.JUNIOR,
        Education.COLLEGE,
        Education.HIGH_SCHOOL,
        Education.BACHELOR,
        Education.SECONDARY,
    ],
    Category.IN_SERVICE: [
        Education.BACHELOR,
        Education.BACHELOR,
        Education.COLLEGE,
        Education.POSTGRADUATE,
        Education.BACHELOR,
        Education.COLLEGE,
        Education.SECONDARY,
        Education.BACHELOR,
        Education.HIGH_SCHOOL,
    ],
    Category.FLOATING: [Education.HIGH_SCHOOL, Education.COLLEGE, Education.SECONDARY, Education.BACHELOR],
}
#: birth years by category
BORN = {Category.RETIRED: (1940, 1964), Category.IN_SERVICE: (1965, 1998), Category.FLOATING: (1972, 1998)}


def _mix(n: int, salt: int = 0) -> int:
    """A fixed, well-spread number for the ``n``-th member (Knuth's multiplicative hash)."""
    return ((n + 1) * 2654435761 + salt * 40503) % 2**32


@dataclass
class Plan:
    """One demo member: the fields to create, and what he or she does."""

    fields: dict[str, Any]
    checkin: str | None = None  # CheckIn.Status.CONFIRMED / PENDING: reports in where he or she lives
    post: str | None = None
    post_since: date | None = None
    floating: dict[str, Any] | None = None  # floating_record_open arguments
    transfer: dict[str, Any] | None = None  # member_transfer arguments; fields hold the first holder


class _Roster:
    """Builds the plans: who lives where, works where, and whose membership is held where."""

    def __init__(self) -> None:
        self.units: dict[str, Unit] = {u.code: u for u in Unit.objects.select_related("organization")}
        self.orgs: dict[str, Organization] = {o.code: o for o in Organization.objects.all()}
        self.compounds = {c["name"]: c["code"] for c in compound_plan()}
        special = {self.compounds[PINGHU], self.compounds[JINXIU], self.compounds[DIZHI]}
        #: the ordinary compounds, where enterprise members live and floating members come from
        self.others = [c["code"] for c in compound_plan() if c["code"] not in special]
        self.plans: list[Plan] = []
        self.n = 0

    # one person ------------------------------------------------------------------------------

    def person(
        self,
        category: str,
        *,
        home: Organization | None,
        residence: Unit | None = None,
        employer: Unit | None = None,
        external: str = "",
        region: str | None = None,
        probationary: bool = False,
    ) -> Plan:
        n = self.n
        self.n += 1
        h = _mix(n)
        male = _mix(n, 1) % 10 >= 4  # about 60 % men
        given = MALE_GIVEN if male else FEMALE_GIVEN
        first = (h >> 8) % len(given)
        name = SURNAMES[h % len(SURNAMES)] + given[first]
        if (h >> 16) % 3:  # two in three have a two-character given name, never the same character twice
            second = (h >> 20) % len(given)
            name += given[second if second != first else (second + 1) % len(given)]
        low, high = BORN[category]
        born = date(low + (h >> 4) % (high - low + 1), 1 + (h >> 10) % 12, 1 + (h >> 14) % 28)
        region = region or REGIONS[(h >> 6) % len(REGIONS)]
        sequence = 2 * (n % 499) + (1 if male else 2)  # odd for men, even for women
        if probationary:
            joined = date(2025, 1 + (h >> 3) % 6, 1 + (h >> 7) % 28)
            full = None
        else:
            # joined between 19 and 40, and at least a year before 2025 so the probation is over
            age = 19 + (h >> 12) % min(22, 2024 - born.year - 19 + 1)
            joined = date(born.year + age, 1 + (h >> 18) % 12, 1 + (h >> 22) % 28)
            full = date(joined.year + 1, joined.month, joined.day)
        educations = EDUCATION[category]
        plan = Plan(
            fields={
                "name": name,
                "gender": Gender.MALE if male else Gender.FEMALE,
                "ethnicity": "土家族" if n % 13 == 5 else "汉族",
                "birth_date": born,
                "id_number": make_id_number(region, born, sequence),
                "phone": f"{PHONE_PREFIXES[(h >> 5) % len(PHONE_PREFIXES)]}{_mix(n, 2) % 10**8:08d}",
                "education": educations[(h >> 9) % len(educations)],
                "joined_on": joined,
                "full_member_on": full,
                "status": MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
                "category": category,
                "home_organization": home,
                "external_organization": external,
                "employer": employer,
                "residence": residence,
            }
        )
        self.plans.append(plan)
        return plan

    def agency_member(self, agency_index: int, residence: Unit, fallback: Organization, **kw: Any) -> Plan:
        """An agency's in-service member: held by the agency's branch, or where he or she lives."""
        code = agency_code(agency_index)
        home = self.orgs.get(org_code(code)) or fallback
        return self.person(Category.IN_SERVICE, home=home, residence=residence, employer=self.units[code], **kw)

    # the groups of the case ------------------------------------------------------------------

    def enterprises(self) -> None:
        branches = sorted(
            Organization.objects.filter(unit__unit_type=UnitType.ENTERPRISE, is_active=True), key=lambda o: o.code
        )
        weights = [BRANCH_WEIGHTS.get(b.code, DEFAULT_BRANCH_WEIGHT) for b in branches]
        sizes = _apportion(ENTERPRISE_MEMBERS, weights)
        employers: dict[int, list[Unit]] = {b.pk: [] for b in branches}  # the firms a (joint) branch covers
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.unit_type == UnitType.ENTERPRISE and unit.organization_id in employers:
                employers[unit.organization_id].append(unit)
        xingan = self.units["YL-XXT-XA"]
        i = 0
        for branch, size in zip(branches, sizes, strict=True):
            firms = employers[branch.pk]
            for j in range(size):
                h = _mix(i, 3)
                retired = j % 17 == 9
                lives = h % 10 < 6  # the others live outside the district's compounds
                residence = self.units[self.others[(i * 7) % len(self.others)]] if lives else None
                plan = self.person(
                    Category.RETIRED if retired else Category.IN_SERVICE,
                    home=branch,
                    residence=residence,
                    employer=None if retired else firms[j % len(firms)],
                    probationary=not retired and j % 29 == 11,
                )
                if residence is not None and not retired and (h >> 8) % 8:  # seven in eight reported in
                    in_xingan = residence.parent_id == xingan.pk  # the demo community secretary's
                    plan.checkin = CheckIn.Status.PENDING if in_xingan and i % 5 == 0 else CheckIn.Status.CONFIRMED
                i += 1

    def pinghu(self) -> None:
        compound = self.units[self.compounds[PINGHU]]
        branch = compound.organization
        for _ in range(PINGHU_RETIRED - 1):
            self.person(Category.RETIRED, home=branch, residence=compound)
        # moved to Yiling from the city centre, membership transferred to the compound branch
        moved = self.person(
            Category.RETIRED, home=None, residence=compound, external="宜昌市西陵区云集街道党工委", region="420502"
        )
        moved.transfer = {
            "to_organization": branch,
            "transferred_on": date(2019, 6, 20),
            "reason": "迁居夷陵区平湖国际小区,组织关系转入居住地小区党支部",
        }
        for j in range(PINGHU_IN_SERVICE):
            # 区委办公室 is paired with 平湖国际: many of its staff live here
            agency = 1 if j % 4 == 0 else 2 + (j * 11) % 66
            plan = self.agency_member(agency, compound, branch, probationary=j % 37 == 20)
            pending = j >= PINGHU_IN_SERVICE - PINGHU_PENDING
            plan.checkin = CheckIn.Status.PENDING if pending else CheckIn.Status.CONFIRMED
        for region, place, holder, reason, since in INCOMING[:PINGHU_INCOMING]:
            self.incoming(compound, region, place, holder, reason, since)
        self.posts([p for p in self.plans if p.fields["residence"] == compound], PINGHU_POSTS, date(2018, 5, 1))

    def jinxiu(self) -> None:
        compound = self.units[self.compounds[JINXIU]]
        branch = compound.organization
        residents = [self.person(Category.RETIRED, home=branch, residence=compound) for _ in range(JINXIU_RETIRED)]
        for j in range(JINXIU_IN_SERVICE):
            if j % 10 == 0:  # works for a firm without a branch: held by its park's organization
                firm = self.units["EN-SXJG" if j % 20 == 0 else "EN-HXSP"]
                plan = self.person(Category.IN_SERVICE, home=firm.organization, residence=compound, employer=firm)
            else:
                plan = self.agency_member(1 + (j * 7) % 67, compound, branch, probationary=j % 41 == 3)
            plan.checkin = CheckIn.Status.CONFIRMED
            residents.append(plan)
        # every member of 锦绣星城 holds one of the six posts
        kinds = list(PostKind)
        for j, plan in enumerate(residents):
            plan.post = kinds[j % len(kinds)]
            plan.post_since = date(2018, 3, 1 + j % 28)

    def dizhi(self) -> None:
        compound = self.units[self.compounds[DIZHI]]
        branch = compound.organization
        residents = [self.person(Category.RETIRED, home=branch, residence=compound) for _ in range(DIZHI_RETIRED - 1)]
        # retired from 区公安局, the membership followed him to where he lives
        police = self.orgs[org_code(agency_code(27))]
        moved = self.person(Category.RETIRED, home=police, residence=compound)
        moved.transfer = {
            "to_organization": branch,
            "transferred_on": date(2018, 3, 15),
            "reason": "退休后组织关系转入居住地小区党支部",
        }
        residents.append(moved)
        self.posts(residents, DIZHI_POSTS, date(2018, 4, 1))

    def floating(self) -> None:
        for k, (place, reason, since) in enumerate(OUTGOING):
            # held where the family lives: a compound branch, or the community for a compound without one
            home = self.units[self.others[(k * 9 + 4) % len(self.others)]].organization
            plan = self.person(Category.FLOATING, home=home)
            plan.floating = {
                "direction": FloatingRecord.Direction.OUTGOING,
                "place": place,
                "reason": reason,
                "started_on": since,
            }
        for k, (region, place, holder, reason, since) in enumerate(INCOMING[PINGHU_INCOMING:]):
            compound = self.units[self.others[(k * 11 + 2) % len(self.others)]]
            self.incoming(compound, region, place, holder, reason, since)

    def incoming(self, compound: Unit, region: str, place: str, holder: str, reason: str, since: date) -> Plan:
        plan = self.person(Category.FLOATING, home=None, residence=compound, external=holder, region=region)
        plan.floating = {
            "direction": FloatingRecord.Direction.INCOMING,
            "place": place,
            "reason": reason,
            "started_on": since,
            "local_unit": compound,
        }
        return plan

    @staticmethod
    def posts(residents: list[Plan], holders: dict[str, int], since: date) -> None:
        it = iter(residents)
        for kind, count in holders.items():
            for k in range(count):
                plan = next(it)
                plan.post, plan.post_since = kind, date(since.year, since.month, since.day + k)

    def build(self) -> list[Plan]:
        self.enterprises()
        self.pinghu()
        self.jinxiu()
        self.dizhi()
        self.floating()
        numbers = [p.fields["id_number"] for p in self.plans]
        assert len(numbers) == len(set(numbers)), "demo ID numbers must be unique"
        return self.plans


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


#: a re-run repairs a member's other fields, but the membership's holder moves only through transfers
_HOLDER = ("home_organization", "external_organization")


def _differences(member: Member, wanted: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name, value in wanted.items():
        if name in _HOLDER:
            continue
        if name in ("employer", "residence"):
            if getattr(member, f"{name}_id") != (value.pk if value is not None else None):
                changes[name] = value
        elif getattr(member, name) != value:
            changes[name] = value
    return changes


def seed(ctx: DemoContext) -> None:
    for label in ("members", "checkins", "volunteer posts", "floating records", "transfers"):
        ctx.touch(label)
    plans = _Roster().build()
    existing = {m.id_number: m for m in Member.objects.filter(id_number__in=[p.fields["id_number"] for p in plans])}
    ids = [m.pk for m in existing.values()]
    reported = set(CheckIn.objects.filter(member_id__in=ids).values_list("member_id", flat=True))
    posted = set(Member.objects.filter(pk__in=ids, volunteer_posts__isnull=False).values_list("pk", flat=True))
    floated = set(FloatingRecord.objects.filter(member_id__in=ids).values_list("member_id", "direction"))
    transferred = set(Member.objects.filter(pk__in=ids, transfers__isnull=False).values_list("pk", flat=True))

    for plan in plans:
        member = existing.get(plan.fields["id_number"])
        if member is None:
            member = member_create(**plan.fields)
            ctx.tally("members", "created")
        else:
            changes = _differences(member, plan.fields)
            if changes:
                member_update(member=member, reason="demo data", **changes)
                ctx.tally("members", "updated")
        if plan.transfer and member.pk not in transferred:
            member_transfer(member=member, **plan.transfer)
            ctx.tally("transfers", "created")
        if plan.checkin and member.pk not in reported:
            checkin = checkin_submit(member=member, unit=member.residence)
            if plan.checkin == CheckIn.Status.CONFIRMED:
                checkin_confirm(checkin=checkin, by=None)
            ctx.tally("checkins", "created")
        if plan.post and member.pk not in posted:
            volunteer_post_assign(member=member, compound=member.residence, post=plan.post, started_on=plan.post_since)
            ctx.tally("volunteer posts", "created")
        if plan.floating and (member.pk, plan.floating["direction"]) not in floated:
            floating_record_open(member=member, **plan.floating)
            ctx.tally("floating records", "created")
