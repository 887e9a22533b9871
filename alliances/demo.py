"""Demo data of the park alliances (园区建联盟), as the 2018 case tells it.

Loaded by ``manage.py seed_demo`` after the roster (this app sits after ``members`` in
``INSTALLED_APPS``): the 38 enterprise branches and the 491 members they hold come from the
organizations and members demos; here every enterprise gets its profile, and the case's figures are
met:

* 2 alliances of 22 enterprises: the park enterprise alliance of 夷陵经济开发区 led by 娃哈哈, and the
  building alliance of 夷陵电商产业城 (its joint branch covers five firms) with a law firm and an
  internet firm;
* 15 demonstration sites (醉三峡, 娃哈哈, 中元, 昌耀, …);
* 44 large-scale enterprises, each with an instructor sent one to one; a few instructors' visits
  overdue;
* joint meetings hosted in rotation since 2018, this year's programme, one meeting of this year not yet
  minuted, shared resources.

Rows are found again by natural keys (unit code, alliance code, branch, topic and year), so a second
run writes nothing. Profiles, instructors and visits are written in bulk through the bulk services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone

from members.models import Member
from organizations.demo import ATTACHED_ENTERPRISES, org_code
from organizations.models import Organization, Role, RoleAssignment, Unit, UnitType
from organizations.services import role_assign
from yiling.demo import DemoContext, DemoLogin, ensure_user, login_for

from . import services
from .models import (
    ActivityKind,
    Alliance,
    Building,
    EnterpriseProfile,
    FormationMode,
    InstructorAssignment,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    ResourceKind,
    Sector,
    SharedResource,
)

#: the enterprises of the 电商产业城 joint branch (联合建)
JOINT = {"EN-DSC", "EN-DSC-01", "EN-DSC-02", "EN-DSC-03", "EN-DSC-04"}
#: the firms without an organization whose members the park organization holds
UNORGANIZED = {"EN-SXJG", "EN-HXSP"}
ATTACHED = {code for code, _park, _name in ATTACHED_ENTERPRISES}
#: not large-scale: the small firms of the 电商产业城
SMALL = JOINT
DEMONSTRATION_SITES = {
    "EN-ZSX", "EN-WHH", "EN-ZY", "EN-CY", "EN-XSJT", "EN-DSC", "EN-LQJC", "EN-HHYY",
    "EN-SXDL", "EN-XLSP", "EN-HBLS", "EN-XKHL", "EN-LQSN", "EN-LQJX", "EN-LQHB",
}  # fmt: skip
SECTORS = {
    "EN-WHH": Sector.FOOD, "EN-XSJT": Sector.FOOD, "EN-ZSX": Sector.FOOD, "EN-XLSP": Sector.FOOD,
    "EN-YLCY": Sector.FOOD, "EN-LQYL": Sector.FOOD, "EN-XYSP": Sector.FOOD, "EN-HXSP": Sector.FOOD,
    "EN-ZY": Sector.ENERGY, "EN-TYXN": Sector.ENERGY, "EN-SXDL": Sector.ENERGY,
    "EN-CY": Sector.MATERIALS, "EN-LQJC": Sector.MATERIALS, "EN-LQSN": Sector.MATERIALS,
    "EN-DFJC": Sector.MATERIALS, "EN-LQGC": Sector.MATERIALS,
    "EN-HBLS": Sector.LAW_FIRM, "EN-XKHL": Sector.INTERNET, "EN-YHKJ": Sector.INTERNET,
    "EN-JYWL": Sector.LOGISTICS, "EN-ZXWL": Sector.LOGISTICS, "EN-BYCS": Sector.SERVICES,
    **{code: Sector.E_COMMERCE for code in JOINT},
}  # fmt: skip
BUILDING = ("BLD-DSC", "夷陵电商产业城大楼", "YL-KFQ", "夷陵经济开发区发展大道")
IN_BUILDING = JOINT | {"EN-HBLS", "EN-XKHL"}

#: code, name, park, committee, lead branch, formed on, member firms in turn order
ALLIANCES = [
    (
        "AL-KFQ",
        "夷陵经济开发区园区企业党建联盟",
        "YL-KFQ",
        "ORG-YL-KFQ",
        "ORG-EN-WHH",
        date(2018, 3, 20),
        ["EN-WHH", "EN-XSJT", "EN-ZSX", "EN-ZY", "EN-CY", "EN-HHYY", "EN-SXDL", "EN-YLGT", "EN-XLSP", "EN-JYWL",
         "EN-HDHG", "EN-QJZY", "EN-LDKJ"],
    ),
    (
        "AL-DSC",
        "夷陵电商产业城楼宇党建联盟",
        "YL-KFQ",
        "ORG-YL-KFQ",
        "ORG-EN-DSC",
        date(2018, 5, 10),
        ["EN-DSC", "EN-HBLS", "EN-XKHL", "EN-BYCS", "EN-XZDZ"],
    ),
]  # fmt: skip
#: past joint meetings: alliance, date, topic, attendance — hosted in turn from the first member on
MEETINGS = [
    ("AL-KFQ", date(2018, 4, 12), "党建联盟成立暨第一次联席会议", 38),
    ("AL-KFQ", date(2018, 7, 1), "七一主题党日联合活动部署", 45),
    ("AL-KFQ", date(2018, 10, 18), "轮流观摩:醉三峡党建示范点", 41),
    ("AL-KFQ", date(2019, 1, 16), "年度工作总结与计划", 36),
    ("AL-KFQ", date(2019, 4, 20), "工作拉练:中元公司", 33),
    ("AL-KFQ", date(2019, 7, 9), "党务人才统筹配置", 30),
    ("AL-DSC", date(2018, 6, 8), "电商产业城联盟第一次联席会议", 22),
    ("AL-DSC", date(2018, 9, 14), "互联网企业党建经验交流", 18),
    ("AL-DSC", date(2018, 12, 20), "律所党建与法律服务进园区", 20),
    ("AL-DSC", date(2019, 3, 22), "直播电商助农活动筹备", 24),
    ("AL-DSC", date(2019, 6, 28), "七一联合主题党日", 26),
]
#: this year's joint programme: month, day, title, kind
PROGRAMME = [
    (1, 15, "年度党建工作联席会议", ActivityKind.STUDY),
    (3, 20, "学雷锋志愿服务进社区", ActivityKind.SERVICE),
    (5, 18, "轮流观摩:党建示范点", ActivityKind.OBSERVATION),
    (7, 1, "七一联合主题党日", ActivityKind.STUDY),
    (9, 16, "工作拉练:支部标准化建设", ActivityKind.FIELD_REVIEW),
    (11, 20, "年度述职与互评", ActivityKind.OTHER),
]
#: alliance, name, kind, provider firm, description
RESOURCES = [
    ("AL-KFQ", "娃哈哈党员活动室", ResourceKind.ROOM, "EN-WHH", "可容纳60人,配投影"),
    ("AL-KFQ", "萧氏集团党建展厅", ResourceKind.VENUE, "EN-XSJT", "茶文化与党建融合展示"),
    ("AL-KFQ", "联盟党务讲师团", ResourceKind.TALENT, None, "专职党务干部与企业书记组成"),
    ("AL-DSC", "电商产业城党群服务中心", ResourceKind.VENUE, "EN-DSC", "会议室、阅览室、直播间"),
    ("AL-DSC", "律盛法律服务团队", ResourceKind.TALENT, "EN-HBLS", "为成员企业提供法律咨询"),
]
LARGE_WITH_INSTRUCTOR = 44
#: instructors whose last visit was long ago (overdue): every OVERDUE_EVERY-th one
OVERDUE_EVERY = 6


def _profiles(ctx: DemoContext, firms: dict[str, Unit], orgs: dict[str, Organization]) -> None:
    existing = set(EnterpriseProfile.objects.values_list("unit__code", flat=True))
    employed = dict(
        Member.objects.filter(employer__unit_type=UnitType.ENTERPRISE)
        .values("employer_id")
        .annotate(n=Count("pk"))
        .values_list("employer_id", "n")
    )
    building = Building.objects.filter(code=BUILDING[0]).first()
    if building is None:
        code, name, park, address = BUILDING
        building = services.building_create(code=code, name=name, park=Unit.objects.get(code=park), address=address)
    new = []
    for i, (code, unit) in enumerate(sorted(firms.items())):
        if code in existing:
            continue
        if code in JOINT:
            mode, branch = FormationMode.JOINT, orgs["ORG-EN-DSC"]
        elif code in ATTACHED:
            mode, branch = FormationMode.ATTACHED, unit.organization
        elif code in UNORGANIZED:
            mode, branch = FormationMode.NONE, None
        else:
            mode, branch = FormationMode.STANDALONE, orgs[org_code(code)]
        large = code not in SMALL
        new.append(
            EnterpriseProfile(
                unit=unit,
                building=building if code in IN_BUILDING else None,
                sector=SECTORS.get(code, Sector.MANUFACTURING),
                staff=(320 + (i * 137) % 900) if large else 25 + (i * 7) % 40,
                is_large_scale=large,
                is_demonstration_site=code in DEMONSTRATION_SITES,
                party_members=employed.get(unit.pk, 3 + i % 4),
                formation_mode=mode,
                branch=branch,
            )
        )
    if new:
        services.enterprise_profiles_create_bulk(profiles=new)
        ctx.tally("enterprise profiles", "created", len(new))


def _alliances(ctx: DemoContext, orgs: dict[str, Organization]) -> dict[str, Alliance]:
    found = {a.code: a for a in Alliance.objects.all()}
    for code, name, park, committee, lead, formed_on, firms in ALLIANCES:
        if code in found:
            continue
        alliance = services.alliance_create(
            code=code, name=name, park=Unit.objects.get(code=park), committee=orgs[committee], formed_on=formed_on
        )
        for firm in firms:
            services.membership_add(alliance=alliance, branch=orgs[org_code(firm)], joined_on=formed_on)
        services.alliance_set_lead(alliance=alliance, branch=orgs[lead])
        found[code] = alliance
        ctx.tally("alliances", "created")
        ctx.tally("alliance memberships", "created", len(firms))
    return found


def _next_host(alliance: Alliance) -> Organization:
    from .selectors import rotation_of

    alliance.refresh_from_db()
    return Organization.objects.get(pk=rotation_of(alliance).next_host())


def _meetings(ctx: DemoContext, alliances: dict[str, Alliance], today: date) -> None:
    held = set(JointMeeting.objects.values_list("alliance__code", "topic", "held_on__year"))
    for code, held_on, topic, attendance in MEETINGS:
        if (code, topic, held_on.year) in held:
            continue
        alliance = alliances[code]
        host = _next_host(alliance)
        services.joint_meeting_record(
            alliance=alliance,
            held_on=held_on,
            host=host,
            topic=topic,
            attendance=attendance,
            minutes=f"会议由{host.name}承办。{topic}。各成员支部书记参加。",
            decisions="按活动承办制度轮流承办下次活动;各支部结合实际开展自转。",
        )
        ctx.tally("joint meetings", "created")
    # this year's first meeting, held a fortnight ago (in this year): not yet minuted
    topic = f"{today.year}年第一次联席会议"
    if ("AL-KFQ", topic, today.year) not in held:
        alliance = alliances["AL-KFQ"]
        services.joint_meeting_record(
            alliance=alliance,
            held_on=max(date(today.year, 1, 1), today - timedelta(days=14)),
            host=_next_host(alliance),
            topic=topic,
            attendance=34,
        )
        ctx.tally("joint meetings", "created")


def _programme(ctx: DemoContext, alliances: dict[str, Alliance], orgs: dict[str, Organization], today: date) -> None:
    year = today.year
    planned = set(JointActivity.objects.filter(year=year).values_list("alliance__code", "title"))
    first: dict[str, JointActivity] = {}
    for code, alliance in sorted(alliances.items()):
        for month, day, title, kind in PROGRAMME:
            if (code, title) in planned:
                continue
            activity = services.joint_activity_plan(
                alliance=alliance, year=year, title=title, kind=kind, planned_on=date(year, month, day)
            )
            first.setdefault(code, activity)
            ctx.tally("joint activities", "created")
    # the branches' own work this year, recorded against the first joint activity (自转促公转)
    done = set(OwnActivity.objects.filter(held_on__year=year).values_list("branch__code", "title"))
    for code, _name, _park, _committee, _lead, _formed, firms in ALLIANCES:
        alliance = alliances[code]
        plan = first.get(code) or alliance.joint_activities.filter(year=year).order_by("planned_on").first()
        for k, firm in enumerate(firms[:4]):
            title = "支部主题党日:学习联席会议精神" if k % 2 == 0 else "党员志愿服务"
            if (org_code(firm), title) in done:
                continue
            services.own_activity_record(
                alliance=alliance,
                branch=orgs[org_code(firm)],
                title=title,
                held_on=max(date(year, 1, 1), today - timedelta(days=3 + 5 * k)),
                participants=8 + 3 * k,
                joint_activity=plan if k % 2 == 0 else None,
            )
            ctx.tally("own activities", "created")


def _resources(ctx: DemoContext, alliances: dict[str, Alliance], orgs: dict[str, Organization]) -> None:
    listed = set(SharedResource.objects.values_list("alliance__code", "name"))
    for code, name, kind, provider, description in RESOURCES:
        if (code, name) in listed:
            continue
        services.resource_add(
            alliance=alliances[code],
            name=name,
            kind=kind,
            provider=orgs[org_code(provider)] if provider else None,
            description=description,
        )
        ctx.tally("shared resources", "created")


def _instructors(ctx: DemoContext, firms: dict[str, Unit], today: date) -> None:
    large = [u for code, u in sorted(firms.items()) if code not in SMALL]
    assert len(large) == LARGE_WITH_INSTRUCTOR, len(large)
    covered = set(InstructorAssignment.objects.current().values_list("enterprise_id", flat=True))
    busy = set(InstructorAssignment.objects.current().exclude(member=None).values_list("member_id", flat=True))
    # instructors are in-service members of the district agencies (选派两新组织党建指导员)
    pool = [
        m
        for m in Member.objects.filter(employer__unit_type=UnitType.AGENCY).order_by("id_number")[: 2 * len(large)]
        if m.pk not in busy
    ]
    new = []
    for i, unit in enumerate(large):
        if unit.pk in covered:
            continue
        new.append(InstructorAssignment(enterprise=unit, member=pool.pop(0), started_on=date(2018, 6, 1 + i % 28)))
    if new:
        services.instructors_assign_bulk(assignments=new)
        ctx.tally("instructor assignments", "created", len(new))
    assignments = list(InstructorAssignment.objects.current().filter(enterprise__in=large).order_by("enterprise__code"))
    visited = set(InstructorVisit.objects.values_list("assignment_id", "visited_on__year"))
    visits = []
    for i, a in enumerate(assignments):
        if (a.pk, 2018) not in visited:
            visits.append(InstructorVisit(assignment=a, visited_on=date(2018, 9, 1 + i % 28), summary="指导支部组建"))
            visits.append(InstructorVisit(assignment=a, visited_on=date(2019, 3, 1 + i % 28), summary="指导组织生活会"))
        if i % OVERDUE_EVERY and (a.pk, today.year) not in visited:
            day = max(date(today.year, 1, 1), today - timedelta(days=(i * 11) % 80))
            visits.append(InstructorVisit(assignment=a, visited_on=day, summary="走访企业,指导三会一课"))
    if visits:
        services.instructor_visits_log_bulk(visits=visits)
        ctx.tally("instructor visits", "created", len(visits))


def seed(ctx: DemoContext) -> None:
    for label in ("enterprise profiles", "alliances", "joint meetings", "instructor assignments"):
        ctx.touch(label)
    today = timezone.localdate()
    firms = {u.code: u for u in Unit.objects.filter(unit_type=UnitType.ENTERPRISE).select_related("organization")}
    orgs = {o.code: o for o in Organization.objects.filter(code__startswith="ORG-")}
    _profiles(ctx, firms, orgs)
    alliances = _alliances(ctx, orgs)
    _meetings(ctx, alliances, today)
    _programme(ctx, alliances, orgs, today)
    _resources(ctx, alliances, orgs)
    _instructors(ctx, firms, today)


# --- the demo park secretary -----------------------------------------------------------------------

PARK_ACCOUNT = ("park", "王建军", "ORG-YL-KFQ")


def accounts(ctx: DemoContext) -> list[DemoLogin]:
    username, full_name, org = PARK_ACCOUNT
    group = Group.objects.filter(name="street staff").first()
    user = ensure_user(ctx, username=username, full_name=full_name, is_staff=True, groups=[group] if group else [])
    park = Organization.objects.get(code=org)
    if not RoleAssignment.objects.filter(user=user, role=Role.STREET_STAFF, organization=park).exists():
        role_assign(user=user, role=Role.STREET_STAFF, organization=park, unit=None)
        ctx.tally("role assignments", "created")
    return [login_for(ctx, user, Role.STREET_STAFF.label, park)]
