"""Demo data of compound governance and funds (小区建支部), as the 2018 case reports it.

Runs after the roster (``LATER_SEEDS`` in :mod:`organizations.demo`): branch posts and owners'
committee seats are held by the party members living in each compound.

What the case says and the demo holds:

* 70 compounds, each managed by a property company (12 companies, 7 of them "red");
* 56 compounds with a party organization (the tree's branches), 66 owners' committees (the four
  without one are compounds without a branch), 52 venues and committee rooms;
* 恒大绿洲, the compound of the compound-type 绿洲社区: the branch and the committee share an office
  (合署办公) and a public-revenue share approved by the owners' assembly;
* 平湖国际 (1,275 households): regular deliberation meetings (定期议事);
* 楚天明珠, an old mixed compound: 万波 of the district public-security bureau is the branch's first
  secretary and members sit on its committee (红色业委会);
* 锦绣星城, 地质花苑 (retired members founded the branch and the committee), 松湖花园, 清江润城;
* every branch's activity fund for the current year (the standard: 1,000 yuan; a 1,200-yuan
  allowance for each secretary, an amount the case does not give), and expenses in most branches.

Dates are fixed, except the money, which is for the year the demo is loaded in, and the activities of
that year (:data:`ACTIVITIES_THIS_YEAR`, so that a compound's latest activities are recent), which
lie some days before today. Expense and activity dates are clipped to today so that none lies in the
future, and to the year's first day so that all fall in the year. Rows are found again by natural
keys (an activity by its compound, title and year), so a second run writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from members import selectors as member_selectors
from members import services as member_services
from yiling.demo import DemoContext

from . import services
from .demo import agency_code, compound_plan, org_code
from .models import (
    Activity,
    ActivityKind,
    Allowance,
    AnnualFunding,
    BranchPosition,
    BranchPost,
    CommitteePosition,
    CommitteeSeat,
    Expense,
    FundAllocation,
    FundSource,
    Organization,
    OwnersCommittee,
    PropertyCompany,
    Unit,
    VenueKind,
)

#: code, name, red?
PROPERTY_COMPANIES = [
    ("PC-01", "宜昌恒大金碧物业服务有限公司", True),
    ("PC-02", "夷陵城投物业管理有限公司", True),
    ("PC-03", "宜昌清江物业服务有限公司", True),
    ("PC-04", "湖北平湖物业管理有限公司", True),
    ("PC-05", "宜昌三峡明珠物业有限公司", False),
    ("PC-06", "夷陵安居物业服务有限公司", True),
    ("PC-07", "宜昌松湖物业管理有限公司", False),
    ("PC-08", "宜昌锦绣物业服务有限公司", True),
    ("PC-09", "夷陵丁家坝物业管理站", False),
    ("PC-10", "宜昌东城物业服务有限公司", True),
    ("PC-11", "宜昌家园物业管理有限公司", False),
    ("PC-12", "夷陵兴业物业服务有限公司", False),
]
#: the company of a named compound; the others take one in turn
COMPANY_OF = {"恒大绿洲": "PC-01", "清江润城": "PC-03", "平湖国际": "PC-04", "松湖花园": "PC-07", "锦绣星城": "PC-08"}

ACTIVITY_FUND = Decimal("1000.00")
SECRETARY_ALLOWANCE = Decimal("1200.00")
VENUES = 52
COMMITTEE_TERM_YEARS = 5
#: compounds without a branch that have no owners' committee either (66 of 70 have one)
WITHOUT_COMMITTEE = {"供销小区", "邮电小区", "水利小区", "营盘小区"}

#: 万波, sent from 区公安局 (AG-27) as first secretary of 楚天明珠
FIRST_SECRETARY = {
    "name": "万波",
    "gender": "male",
    "birth_date": date(1978, 3, 12),
    "id_number": "420506197803121355",
    "phone": "13972012345",
    "education": "bachelor",
    "joined_on": date(2001, 6, 20),
    "full_member_on": date(2002, 6, 20),
    "category": "in_service",
}
POLICE = agency_code(27)
CHUTIAN = "楚天明珠"
#: the compounds the case names
NAMED = {"恒大绿洲", "清江润城", "平湖国际", "松湖花园", CHUTIAN, "锦绣星城", "地质花苑"}

#: owners who sit on committees without being party members (names only)
OWNER_NAMES = [
    "王建国", "李秀英", "张卫东", "刘桂兰", "陈志明", "杨丽娟", "赵德胜", "黄玉梅", "周国平", "吴春燕",
    "徐海军", "孙丽华", "胡永红", "朱建华", "高秀珍", "林志强", "何丽萍", "郭大伟", "马红霞", "罗志刚",
]  # fmt: skip

#: compound name: (kind, title, month, day, attendance, report) of the activities on its page
ACTIVITIES: dict[str, list[tuple[str, str, int, int, int, str]]] = {
    "平湖国际": [
        (
            ActivityKind.DELIBERATION, "小区议事会：地下车库漏水整改", 3, 15, 23,
            "支部、业委会、物业和区委办共商整改方案，房管部门到场。",
        ),
        (ActivityKind.THEME_DAY, "主题党日：党员亮身份", 5, 20, 68, "在职党员佩戴党徽参加楼栋服务。"),
        (ActivityKind.VOLUNTEER, "消防通道清理", 9, 6, 41, "会同消防部门清理消防通道，移走杂物十余处。"),
    ],
    "恒大绿洲": [
        (ActivityKind.THEME_DAY, "生态绿洲、温情家园主题党日", 4, 18, 56, "支部与业委会合署办公一周年。"),
        (ActivityKind.CULTURE, "邻里文化节", 10, 2, 120, ""),
    ],
    "楚天明珠": [
        (
            ActivityKind.DELIBERATION, "红色业委会议事：化解物业费纠纷", 3, 28, 19,
            "第一书记万波主持，业主与物业达成分期方案。",
        ),
        (ActivityKind.VOLUNTEER, "老旧小区环境整治", 6, 12, 35, ""),
    ],
    "松湖花园": [(ActivityKind.STUDY, "党员七个带头学习会", 4, 9, 27, "对照“七个作用”“党员七个带头”逐条学习。")],
    "锦绣星城": [(ActivityKind.VOLUNTEER, "六员上岗", 5, 8, 88, "229名党员亮明身份，分岗认领六员职责。")],
    "地质花苑": [(ActivityKind.THEME_DAY, "退休老党员主题党日", 7, 1, 33, "身退心不退，持续发光发热。")],
    "清江润城": [(ActivityKind.CULTURE, "社区运动会", 10, 20, 74, "")],
}  # fmt: skip

#: compound name: (kind, title, days before today, attendance, report) of the activities of the year
#: the demo is loaded in, beside the case's 2018 ones (a day before 1 January falls on 1 January)
ACTIVITIES_THIS_YEAR: dict[str, list[tuple[str, str, int, int, str]]] = {
    "平湖国际": [
        (ActivityKind.DELIBERATION, "小区议事会：电动车集中充电点选址", 6, 21, "支部、业委会和物业商定两处充电点。"),
        (ActivityKind.THEME_DAY, "主题党日：重温入党誓词", 34, 59, ""),
        (ActivityKind.VOLUNTEER, "楼道杂物清理", 75, 37, "在职党员分楼栋认领，清理杂物二十余处。"),
    ],
    "恒大绿洲": [(ActivityKind.THEME_DAY, "支部业委会联席主题党日", 12, 48, "合署办公室通报半年工作。")],
    "楚天明珠": [(ActivityKind.DELIBERATION, "红色业委会议事：雨污分流改造", 20, 17, "第一书记万波主持。")],
    "松湖花园": [(ActivityKind.STUDY, "党员学习会：基层治理新要求", 9, 25, "")],
    "锦绣星城": [(ActivityKind.VOLUNTEER, "六员志愿服务日", 27, 64, "")],
    "地质花苑": [(ActivityKind.CULTURE, "老党员书画展", 41, 30, "退休老党员作品四十余幅。")],
    "清江润城": [(ActivityKind.VOLUNTEER, "小区环境卫生整治", 3, 45, "")],
}  # fmt: skip


def _day(year: int, month: int, day: int) -> date:
    """A date of the demo's money year, never after today."""
    return min(date(year, month, day), timezone.localdate())


def _days_ago(days: int) -> date:
    """``days`` before today, but not before 1 January of this year."""
    today = timezone.localdate()
    return max(today - timedelta(days=days), today.replace(month=1, day=1))


class _GovernanceSeeder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        for label in (
            "property companies",
            "property company assignments",
            "branch terms",
            "owners committees",
            "committee seats",
            "branch posts",
            "venues",
            "activities",
            "fund allocations",
            "allowances",
            "expenses",
        ):
            ctx.touch(label)
        self.year = timezone.localdate().year
        self.units = {u.code: u for u in Unit.objects.filter(unit_type__in=["compound", "agency"])}
        self.orgs = {o.code: o for o in Organization.objects.filter(unit__unit_type="compound")}

    def created(self, label: str) -> None:
        self.ctx.tally(label, "created")

    # -- people -------------------------------------------------------------------------------

    def residents(self, compound: Unit) -> list[Any]:
        return list(
            member_selectors.members_within(None)
            .filter(residence=compound)
            .exclude(id_number=FIRST_SECRETARY["id_number"])  # added by this seed: keep the first run's order
            .order_by("joined_on", "id_number")
        )

    def first_secretary(self, compound: Unit) -> Any:
        found = member_selectors.members_within(None).filter(id_number=FIRST_SECRETARY["id_number"]).first()
        if found is not None:
            return found
        police_branch = Organization.objects.get(code=org_code(POLICE))
        member = member_services.member_create(
            **FIRST_SECRETARY,
            home_organization=police_branch,
            employer=self.units[POLICE],
            residence=compound,
        )
        self.ctx.tally("members", "created")
        return member

    # -- rows ---------------------------------------------------------------------------------

    def companies(self) -> dict[str, PropertyCompany]:
        existing = {c.code: c for c in PropertyCompany.objects.all()}
        for code, name, red in PROPERTY_COMPANIES:
            company = existing.get(code)
            if company is None:
                existing[code] = services.property_company_create(code=code, name=name, is_red=red)
                self.created("property companies")
            elif (company.name, company.is_red) != (name, red):
                services.property_company_update(company=company, name=name, is_red=red)
                self.ctx.tally("property companies", "updated")
        return existing

    def post(self, org: Organization, member: Any, position: str, since: date) -> None:
        if BranchPost.objects.active().filter(organization=org, member=member).exists():
            return
        if BranchPost.objects.filter(organization=org, member=member, position=position).exists():
            return  # held and ended since: the demo does not re-appoint
        services.branch_post_appoint(organization=org, member=member, position=position, started_on=since)
        self.created("branch posts")

    def committee(self, compound: Unit, elected_on: date) -> OwnersCommittee:
        found = OwnersCommittee.objects.filter(compound=compound, elected_on=elected_on).first()
        if found is not None:
            return found
        committee = services.owners_committee_record(
            compound=compound,
            elected_on=elected_on,
            term_ends_on=elected_on.replace(year=elected_on.year + COMMITTEE_TERM_YEARS),
        )
        self.created("owners committees")
        return committee

    def seat(self, committee: OwnersCommittee, position: str, *, member: Any = None, name: str = "") -> None:
        label = member.name if member is not None else name
        if CommitteeSeat.objects.filter(committee=committee, name=label).exists():
            return
        services.committee_seat_add(committee=committee, position=position, member=member, name=name)
        self.created("committee seats")

    def venue(self, compound: Unit, name: str, kind: str, area: Decimal) -> None:
        if compound.venues.filter(name=name).exists():
            return
        services.venue_create(unit=compound, name=name, kind=kind, area=area, opened_on=date(2018, 7, 1))
        self.created("venues")

    def activity(self, compound: Unit, kind: str, title: str, held_on: date, attendance: int, report: str) -> Activity:
        found = Activity.objects.filter(compound=compound, title=title, held_on__year=held_on.year).first()
        if found is not None:
            return found
        venue = compound.venues.first()
        activity = services.activity_record(
            compound=compound,
            kind=kind,
            title=title,
            held_on=held_on,
            attendance=attendance,
            venue=venue,
            report=report,
        )
        self.created("activities")
        return activity

    def expense(self, allocation: FundAllocation, amount: Decimal, day: date, purpose: str, number: str) -> None:
        if Expense.objects.filter(allocation=allocation, purpose=purpose).exists():
            return
        services.expense_record(
            allocation=allocation, amount=amount, spent_on=day, purpose=purpose, receipt_number=number
        )
        self.created("expenses")

    # -- the compounds ------------------------------------------------------------------------

    def run(self) -> None:
        companies = self.companies()
        plan = compound_plan()
        branch_compounds = [c for c in plan if c["has_branch"]]
        # Four branch compounds use the community's rooms: 52 venues in all.
        without_venue = {c["code"] for c in branch_compounds[-(len(branch_compounds) - VENUES) :]}
        for index, c in enumerate(plan):
            compound = self.units[c["code"]]
            company = companies[COMPANY_OF.get(c["name"], PROPERTY_COMPANIES[index % len(PROPERTY_COMPANIES)][0])]
            if compound.property_company_id != company.pk:
                action = "created" if compound.property_company_id is None else "updated"
                services.unit_update(unit=compound, property_company=company)
                self.ctx.tally("property company assignments", action)
            residents = self.residents(compound)
            elected_on = date(2023, 3 + index % 9, 1 + index % 27)
            # Two compounds in three re-elect branch and committee together (同步改选).
            synchronized = index % 3 != 2
            org = self.orgs.get(org_code(c["code"])) if c["has_branch"] else None
            if org is not None:
                branch_elected = elected_on if synchronized else date(2022, 9, 1 + index % 27)
                branch_ends = branch_elected.replace(year=branch_elected.year + 5)
                if (org.elected_on, org.term_ends_on) != (branch_elected, branch_ends):
                    action = "created" if org.elected_on is None else "updated"
                    services.branch_term_record(organization=org, elected_on=branch_elected, term_ends_on=branch_ends)
                    self.ctx.tally("branch terms", action)
                self.post(org, residents[0], BranchPosition.SECRETARY, branch_elected)
                self.post(org, residents[1], BranchPosition.COMMITTEE_MEMBER, branch_elected)
                if c["name"] == CHUTIAN:
                    wan_bo = self.first_secretary(compound)
                    self.post(org, wan_bo, BranchPosition.FIRST_SECRETARY, date(2018, 4, 1))
                if c["code"] not in without_venue:
                    if c["name"] == "恒大绿洲":
                        self.venue(compound, "支部业委会合署办公室", VenueKind.SHARED_OFFICE, Decimal("120.0"))
                    else:
                        kind = VenueKind.ACTIVITY_ROOM if index % 4 else VenueKind.COMMITTEE_ROOM
                        name = "党员活动室" if kind == VenueKind.ACTIVITY_ROOM else "业委会议事室"
                        self.venue(compound, name, kind, Decimal(40 + (index * 7) % 60))
            if c["name"] not in WITHOUT_COMMITTEE:
                committee = self.committee(compound, elected_on)
                owners = [OWNER_NAMES[(index * 3 + k) % len(OWNER_NAMES)] for k in range(3)]
                # The branch secretary chairs the committee and a branch committee member is its deputy
                # (交叉任职), except in one compound in five (never one the case names).
                if org is not None and (index % 5 != 4 or c["name"] in NAMED):
                    self.seat(committee, CommitteePosition.CHAIR, member=residents[0])
                    self.seat(committee, CommitteePosition.DEPUTY_CHAIR, member=residents[1])
                else:
                    self.seat(committee, CommitteePosition.CHAIR, name=owners[2])
                    self.seat(committee, CommitteePosition.DEPUTY_CHAIR, member=residents[-1])
                self.seat(committee, CommitteePosition.MEMBER, name=owners[0])
                self.seat(committee, CommitteePosition.MEMBER, name=owners[1])
            for kind, title, month, day, attendance, report in ACTIVITIES.get(c["name"], []):
                self.activity(compound, kind, title, date(2018, month, day), attendance, report)
            for kind, title, days, attendance, report in ACTIVITIES_THIS_YEAR.get(c["name"], []):
                self.activity(compound, kind, title, _days_ago(days), attendance, report)
        self.money(plan)

    def money(self, plan: list[dict[str, Any]]) -> None:
        year = self.year
        standard = AnnualFunding.objects.filter(year=year).first()
        if standard is None or (standard.activity_fund, standard.secretary_allowance) != (
            ACTIVITY_FUND,
            SECRETARY_ALLOWANCE,
        ):
            services.funding_standard_set(
                year=year, activity_fund=ACTIVITY_FUND, secretary_allowance=SECRETARY_ALLOWANCE
            )
        granted = services.allocations_grant(year=year, granted_on=date(year, 1, 1))
        if granted:
            self.ctx.tally("fund allocations", "created", len(granted))
        funds = {
            a.organization_id: a for a in FundAllocation.objects.filter(year=year, source=FundSource.ACTIVITY_FUND)
        }
        shares = {
            "恒大绿洲": (Decimal("6000.00"), f"恒大绿洲业主大会决议〔{year}〕1号"),
            "平湖国际": (Decimal("3000.00"), f"平湖国际业主大会决议〔{year}〕2号"),
        }
        for index, c in enumerate(p for p in plan if p["has_branch"]):
            org = self.orgs[org_code(c["code"])]
            secretary = BranchPost.objects.active().filter(organization=org, position=BranchPosition.SECRETARY).first()
            if secretary is not None and not Allowance.objects.filter(organization=org, year=year).exists():
                services.allowance_grant(
                    organization=org, year=year, member=secretary.member, paid_on=_day(year, 6, 30)
                )
                self.created("allowances")
            if c["name"] in shares:
                amount, ref = shares[c["name"]]
                share = FundAllocation.objects.filter(organization=org, year=year, resolution_ref=ref).first()
                if share is None:
                    share = services.fund_allocation_create(
                        organization=org,
                        year=year,
                        source=FundSource.PUBLIC_REVENUE,
                        amount=amount,
                        granted_on=_day(year, 3, 1),
                        resolution_ref=ref,
                    )
                    self.created("fund allocations")
                self.expense(share, Decimal("2400.00"), _day(year, 4, 20), "楼道照明改造材料", f"FP{year}{index:03d}9")
            fund = funds.get(org.pk)
            if fund is None or index % 7 == 6:  # one branch in seven has not spent yet
                continue
            self.expense(
                fund, Decimal("180.00") + index * 5, _day(year, 3, 10), "主题党日学习资料", f"FP{year}{index:03d}1"
            )
            if index % 2 == 0:
                self.expense(fund, Decimal("260.00"), _day(year, 7, 1), "七一慰问老党员", f"FP{year}{index:03d}2")


def seed(ctx: DemoContext) -> None:
    _GovernanceSeeder(ctx).run()
