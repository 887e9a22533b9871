"""Demo data of the merchants: the business districts of the case (商圈建示范), 358 displaying member merchants.

4 main streets and 8 markets (the business-district units and their general branches come from
``organizations.demo``), 5 of them demonstration districts; two responsibility zones in each; 358
displaying merchants with duties and pledges (and one suspended, one revoked); the four service teams;
a rating cycle with grades; feedback in every state. The demo merchant (``merchant``) runs SH-CJSC-01,
where a published complaint waits for a reply; the business district's secretary (``market``) keeps
长江市场. Written through ``merchants.services`` (the merchants and their first pledges in bulk), found
again by shop code and receipt number, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from members.models import Member
from organizations import services as org_services
from organizations.models import Organization, Role, RoleAssignment, Unit, UnitType
from yiling.demo import DemoContext, DemoLogin, ensure_user, login_for

from . import services
from .models import BusinessDistrictProfile, Feedback, Merchant, Rating, RatingCycle, ResponsibilityZone, ServiceTeam

#: business district code → (kind, demonstration, number of displaying merchants)
DISTRICTS: dict[str, tuple[str, bool, int]] = {
    "BD-CJSC": ("market", True, 60),
    "BD-SXCC": ("market", True, 40),
    "BD-XXNM": ("market", True, 35),
    "BD-YXDD": ("street", True, 30),
    "BD-JCSC": ("market", False, 30),
    "BD-QPC": ("market", False, 25),
    "BD-DCNM": ("market", False, 30),
    "BD-FZDD": ("street", True, 28),
    "BD-YLDD": ("street", False, 25),
    "BD-XXTB": ("street", False, 20),
    "BD-GSPF": ("market", False, 20),
    "BD-DCXS": ("market", False, 15),
}
DISPLAYING = 358
assert sum(n for *_rest, n in DISTRICTS.values()) == DISPLAYING
assert sum(demo for _kind, demo, _n in DISTRICTS.values()) == 5

ZONES = [
    ("一区", "负责本区域环境卫生和门前三包监督\n调解顾客与经营户的纠纷"),
    ("二区", "负责本区域消防通道和用电安全巡查\n帮扶困难经营户"),
]
POSTS = ["文明经营监督员", "环境卫生监督员", "诚信经营示范岗", "消防安全监督员", "价格公示监督员"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
TRADES = {
    "market": ["粮油店", "鲜肉铺", "蔬菜摊", "水果店", "干货行", "茶叶店", "调味品店", "豆制品店", "水产店", "五金店"],
    "street": ["服装店", "鞋店", "眼镜店", "药店", "书店", "面馆", "烘焙坊", "通讯店", "超市", "家电行"],
}
PLEDGES = [
    "明码标价，不欺客宰客",
    "足斤足两，缺一补十",
    "不销售假冒伪劣商品",
    "文明经营，微笑服务",
    "门前三包，保持整洁",
    "诚信经营，接受群众监督",
    "热心公益，帮扶困难群众",
]
TEAMS = [
    ("environment", "环境整治服务队"),
    ("legal", "法律咨询服务队"),
    ("patrol", "治安巡逻服务队"),
    ("poverty", "扶贫助困服务队"),
]
RATING_CRITERIA = (
    "一、公开表扬（30分）：基础20分，每条公开表扬加2分。\n"
    "二、投诉按期办结（30分）：按期办结率乘以30分，无投诉得满分。\n"
    "三、日常检查（40分）：市场监管、消防、卫生检查得分。\n"
    "90分以上五星，80分以上四星，60分以上三星，不足60分不达标；严重失信的摘牌。"
)
#: receipt, shop code, kind, text, what happened to it
FEEDBACK = [
    ("DEMO000001", "SH-CJSC-01", "complaint", "买的菜籽油回家一称少了半斤，希望店家给个说法。", "published"),
    ("DEMO000002", "SH-CJSC-01", "praise", "老板很实在，米面油价格公道，还帮老人送货上门。", "replied"),
    ("DEMO000003", "SH-CJSC-01", "suggestion", "建议增加微信付款码，方便年轻人。", "pending"),
    ("DEMO000004", "SH-CJSC-01", "complaint", "找零少找了五元。", "closed"),
    ("DEMO000005", "SH-CJSC-02", "praise", "五金配件齐全，师傅还教我怎么换水龙头。", "replied"),
    ("DEMO000006", "SH-CJSC-03", "complaint", "土特产标价和实际收费不一致。", "pending"),
    ("DEMO000007", "SH-SXCC-01", "praise", "茶叶品质好，可以先尝后买。", "published"),
    ("DEMO000008", "SH-SXCC-02", "suggestion", "希望周末延长营业时间。", "rejected"),
    ("DEMO000009", "SH-DCNM-01", "complaint", "肉不新鲜，要求退换。", "overdue"),
    ("DEMO000010", "SH-DCNM-01", "praise", "服务热情，切肉很细心。", "published"),
]
TODAY_ACTIVITIES = [(date(2025, 3, 5), "市场环境集中整治"), (date(2025, 9, 20), "走进市场送法律咨询")]


def _shop_plan() -> list[tuple[str, str, str, int]]:
    """(shop code, district code, name, index) of every displaying merchant, the organizations demo's shops first."""
    from organizations.demo import SHOPS

    existing = {code: (market, name) for code, market, name in SHOPS}
    plan, index = [], 0
    for d, (district, (kind, _demo, count)) in enumerate(DISTRICTS.items()):
        suffix = district.removeprefix("BD-")
        trades = TRADES[kind]
        for n in range(1, count + 1):
            code = f"SH-{suffix}-{n:02d}"
            # A surname and a trade, never the same pair twice in one district.
            name = existing[code][1] if code in existing else f"{SURNAMES[n % 20]}记{trades[(n // 20 + d) % 10]}"
            plan.append((code, district, name, index))
            index += 1
    return plan


#: Two more shops, neither displaying: one suspended, one whose plaque the rating revoked.
EXTRA = [("SH-CJSC-91", "BD-CJSC", "老街副食店"), ("SH-QPC-91", "BD-QPC", "顺达汽配")]


def seed(ctx: DemoContext) -> None:
    """The business districts' kinds and showcases (after the organization tree)."""
    ctx.touch("business districts")
    units = {u.code: u for u in Unit.objects.filter(code__in=DISTRICTS)}
    profiles = {p.unit_id: p for p in BusinessDistrictProfile.objects.filter(unit__in=units.values())}
    for code, (kind, demo, _n) in DISTRICTS.items():
        unit = units[code]
        profile = profiles.get(unit.pk)
        if profile is None or (profile.kind, profile.is_demonstration) != (kind, demo):
            services.district_profile_set(unit=unit, kind=kind, is_demonstration=demo)
            ctx.tally("business districts", "created" if profile is None else "updated")


def seed_merchants(ctx: DemoContext) -> None:
    for label in ("responsibility zones", "shops", "merchants", "pledges", "feedback", "ratings", "service teams"):
        ctx.touch(label)
    districts = {u.code: u for u in Unit.objects.filter(code__in=DISTRICTS).select_related("organization")}
    zones = {(z.district_id, z.name): z for z in ResponsibilityZone.objects.filter(district__in=districts.values())}
    for district in districts.values():
        for name, duties in ZONES:
            if (district.pk, name) not in zones:
                zones[(district.pk, name)] = services.zone_create(district=district, name=name, duties=duties)
                ctx.tally("responsibility zones", "created")

    plan = [(code, district, name, i) for code, district, name, i in _shop_plan()]
    plan += [(code, district, name, DISPLAYING + i) for i, (code, district, name) in enumerate(EXTRA)]
    shops = {u.code: u for u in Unit.objects.filter(code__in=[p[0] for p in plan])}
    new_shops = [
        {
            "code": code,
            "name": name,
            "unit_type": UnitType.SHOP,
            "parent": districts[district_code],
            "organization": districts[district_code].organization,
        }
        for code, district_code, name, _i in plan
        if code not in shops
    ]
    if new_shops:
        org_services.units_create_bulk(units=[Unit(**fields) for fields in new_shops])
        ctx.tally("shops", "created", len(new_shops))
        shops = {u.code: u for u in Unit.objects.filter(code__in=[p[0] for p in plan])}

    have = set(Merchant.objects.filter(shop__code__in=shops).values_list("shop__code", flat=True))
    operators = list(Member.objects.order_by("id_number").only("pk")[: len(plan)])
    items = []
    for (code, district_code, _name, i), operator in zip(plan, operators, strict=True):
        if code in have:
            continue
        district = districts[district_code]
        items.append(
            {
                "shop": shops[code],
                "operator": operator,
                "licence_number": f"92420506MA{i + 1:08d}",
                "zone": zones[(district.pk, ZONES[i % 2][0])],
                "post": POSTS[i % len(POSTS)],
                "plaque_number": f"YLSQ-{i + 1:04d}",
            }
        )
    if items:
        created = services.merchants_bulk_create(items=items)
        ctx.tally("merchants", "created", len(created))
    merchants = {m.shop.code: m for m in Merchant.objects.filter(shop__code__in=shops).select_related("shop")}
    texts = {
        merchants[code].pk: "\n".join(PLEDGES[(i + k) % len(PLEDGES)] for k in range(3)) for code, _d, _n, i in plan
    }
    published = services.pledges_bulk_publish(texts=texts)
    if published:
        ctx.tally("pledges", "created", len(published))

    _extra_statuses(ctx, merchants)
    # A proposal waiting on the secretary's desk.
    proposer = merchants["SH-CJSC-02"]
    if proposer.pledges.count() == 1:
        services.pledge_propose(merchant=proposer, text="明码标价，不欺客宰客\n五金配件包退包换\n免费上门指导安装")
        ctx.tally("pledges", "created")
    _feedback(ctx, merchants)
    _rating(ctx, merchants, plan)
    _teams(ctx, merchants, plan)


def _extra_statuses(ctx: DemoContext, merchants: dict[str, Merchant]) -> None:
    suspended = merchants["SH-CJSC-91"]
    if suspended.status != Merchant.Status.SUSPENDED:
        services.merchant_set_status(merchant=suspended, status=Merchant.Status.SUSPENDED, reason="店面装修，暂停营业")
        ctx.tally("merchants", "updated")


def _feedback(ctx: DemoContext, merchants: dict[str, Merchant]) -> None:
    have = set(Feedback.objects.filter(receipt__in=[f[0] for f in FEEDBACK]).values_list("receipt", flat=True))
    for receipt, code, kind, text, state in FEEDBACK:
        if receipt in have:
            continue
        merchant = merchants[code]
        phone = "13900001111" if kind == "complaint" else ""
        feedback = services.feedback_submit(
            merchant=merchant, kind=kind, text=text, contact_phone=phone, receipt=receipt
        )
        if state == "rejected":
            services.feedback_reject(feedback=feedback, by=None)
        elif state != "pending":
            services.feedback_publish(feedback=feedback, by=None)
        if state == "replied":
            services.feedback_reply(feedback=feedback, reply="感谢您的认可，我们会继续努力！", by=None)
        if state == "closed":
            services.feedback_reply(feedback=feedback, reply="非常抱歉，已当面补还。", by=None)
            services.complaint_close(feedback=feedback, result="经核实属实，经营户已退还差额并道歉。", by=None)
        if state == "overdue":
            services.complaint_assign(
                feedback=feedback, handler=None, due_on=timezone.localdate() - timedelta(days=2), by=None
            )
        ctx.tally("feedback", "created")


def _rating(ctx: DemoContext, merchants: dict[str, Merchant], plan: list[tuple[str, str, str, int]]) -> None:
    root = Organization.objects.get(code="ORG-YL")
    year = timezone.localdate().year - 1
    cycle = RatingCycle.objects.filter(organization=root, year=year).first()
    if cycle is None:
        cycle = services.rating_cycle_create(organization=root, year=year, criteria=RATING_CRITERIA, is_published=True)
        ctx.tally("ratings", "created")
    rated = set(Rating.objects.filter(cycle=cycle).values_list("merchant__shop__code", flat=True))
    # The demonstration markets' merchants are rated; inspection scores spread the grades.
    for code, _district, _name, i in plan[:60]:
        if code not in rated:
            services.rating_record(cycle=cycle, merchant=merchants[code], inspection_score=(40, 35, 28, 20)[i % 4])
            ctx.tally("ratings", "created")
    if "SH-QPC-91" not in rated:
        services.rating_record(
            cycle=cycle,
            merchant=merchants["SH-QPC-91"],
            inspection_score=5,
            revokes_plaque=True,
            revocation_reason="销售假冒配件，经查属实",
        )
        ctx.tally("ratings", "created")


def _teams(ctx: DemoContext, merchants: dict[str, Merchant], plan: list[tuple[str, str, str, int]]) -> None:
    organization = Organization.objects.get(code="ORG-YL-XXT")
    have = {t.name for t in ServiceTeam.objects.filter(organization=organization)}
    operator_ids = [merchants[code].operator_id for code, *_rest in plan]
    for n, (kind, name) in enumerate(TEAMS):
        if name in have:
            continue
        members = list(Member.objects.filter(pk__in=operator_ids[n * 6 : n * 6 + 6]))
        team = services.team_create(organization=organization, kind=kind, name=name, members=members)
        for held_on, title in TODAY_ACTIVITIES:
            services.activity_record(team=team, held_on=held_on, title=f"{title}（{name}）", participants=12)
        ctx.tally("service teams", "created")


#: After the roster (members, ORDER 100) and the governance data (200): the merchants are run by members.
LATER_SEEDS = [(300, seed_merchants)]


def accounts(ctx: DemoContext) -> list[DemoLogin]:
    """The business district's secretary of 长江市场 (the merchant account is the organizations demo's)."""
    organization = Organization.objects.get(code="ORG-BD-CJSC")
    user = ensure_user(ctx, username="market", full_name="吴建华")
    if not RoleAssignment.objects.filter(user=user, role=Role.MARKET_SECRETARY, organization=organization).exists():
        org_services.role_assign(user=user, role=Role.MARKET_SECRETARY, organization=organization)
        ctx.tally("role assignments", "created")
    return [login_for(ctx, user, Role.MARKET_SECRETARY.label, organization)]
