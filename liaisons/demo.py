"""Demo data of 单位联小区: the 67 district agencies (AG-01 .. AG-67, made by the organizations demo) each
paired with a compound, among them 区委办 ↔ 平湖国际 and 区人大办 ↔ 松湖花园 as the case tells; problems
in every state, what the agencies brought, and deliberations.

Everything goes through ``liaisons.services``; rows are found again by a natural key (agency,
compound and start; compound and title; compound, day and topic), so a second run changes nothing.
Dates are fixed (the demo's year is 2026), never after the day the demo is loaded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from organizations.demo import AGENCIES, agency_code, compound_plan
from organizations.models import Unit, UnitType
from yiling.demo import DemoContext

from . import services
from .models import Contribution, Deliberation, Demand, Liaison, State

#: Agencies paired with a named compound (the rest take the other compounds in code order).
CASE_PAIRS = {"区委办公室": "平湖国际", "区人大常委会办公室": "松湖花园"}
PAIRED_SINCE = date(2018, 3, 1)
#: The agency-side contact of the first pairings (区委办's is the demo account's holder).
AGENCY_CONTACTS = {1: "李明", 2: "王红梅", 3: "赵建国", 27: "孙卫东"}

#: The moves that take a new problem to each state.
PATH_TO = {
    State.RAISED: [],
    State.ACCEPTED: [State.ACCEPTED],
    State.IN_PROGRESS: [State.ACCEPTED, State.IN_PROGRESS],
    State.RESOLVED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED],
    State.CONFIRMED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.CONFIRMED],
    State.REOPENED: [State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.REOPENED],
}
NOTES = {
    State.ACCEPTED: "已对接，安排专人跟进",
    State.IN_PROGRESS: "协调相关部门现场查看，正在处理",
    State.RESOLVED: "问题已处理完毕，请小区确认",
    State.CONFIRMED: "经业主代表查看，问题已解决",
    State.REOPENED: "仍有业主反映未解决，请继续处理",
}

#: compound name → problems: title, category, priority, state, raised on, days to due
# fmt: off
DEMANDS: dict[str, list[tuple[str, str, str, str, date, int]]] = {
    "平湖国际": [
        ("地下车库消防通道被占", "security", "urgent", State.RAISED, date(2026, 11, 20), 10),
        ("老旧电梯频繁故障", "repair", "high", State.IN_PROGRESS, date(2026, 10, 8), 60),
        ("物业费收支公示争议", "dispute", "normal", State.ACCEPTED, date(2026, 9, 15), 45),
        ("小区路灯损坏", "repair", "normal", State.RESOLVED, date(2026, 8, 3), 30),
        ("房产遗留问题：办证难", "renovation", "high", State.CONFIRMED, date(2026, 3, 10), 120),
        ("垃圾分类点异味", "environment", "low", State.REOPENED, date(2026, 6, 1), 30),
    ],
    "松湖花园": [
        ("停车位划线不足", "parking", "normal", State.IN_PROGRESS, date(2026, 9, 1), 60),
        ("楼道堆放杂物", "security", "low", State.CONFIRMED, date(2026, 4, 12), 30),
        ("外墙瓷砖脱落", "renovation", "urgent", State.RAISED, date(2026, 11, 28), 14),
    ],
    "恒大绿洲": [
        ("业委会与物业服务合同纠纷", "dispute", "high", State.ACCEPTED, date(2026, 10, 20), 30),
        ("二次供水水箱清洗", "environment", "normal", State.CONFIRMED, date(2026, 5, 6), 20),
    ],
    "清江润城": [
        ("监控探头损坏", "security", "normal", State.RESOLVED, date(2026, 9, 22), 20),
        ("非机动车充电桩不足", "other", "normal", State.RAISED, date(2026, 11, 2), 40),
    ],
    "楚天明珠": [
        ("老旧小区改造：管网更新", "renovation", "high", State.IN_PROGRESS, date(2026, 7, 1), 150),
    ],
    "兴安小区": [
        ("绿化带被毁种菜", "environment", "low", State.REOPENED, date(2026, 8, 18), 30),
    ],
}
# fmt: on

#: compound name → deliberations: day, topic, attendees, decisions, titles of the problems discussed
DELIBERATIONS: dict[str, list[tuple[date, str, str, str, list[str]]]] = {
    "平湖国际": [
        (
            date(2026, 10, 10),
            "电梯维修与消防通道议事会",
            "周海涛、李明、业委会主任张国庆、物业经理陈静、业主代表6人",
            "电梯由物业报维保单位检修，区委办协调特种设备检测；消防通道由物业每日巡查。",
            ["老旧电梯频繁故障", "小区路灯损坏"],
        ),
        (
            date(2026, 6, 20),
            "垃圾分类点议事会",
            "周海涛、业委会委员3人、物业经理陈静、业主代表8人",
            "垃圾分类点移至北门绿化带旁，物业每日清运两次。",
            ["垃圾分类点异味"],
        ),
    ],
    "松湖花园": [
        (
            date(2026, 9, 5),
            "停车难议事会（七个作用）",
            "支部书记、区人大办王红梅、业委会成员、业主代表10人",
            "利用闲置绿地改建临时车位，业委会征求业主意见后实施。",
            ["停车位划线不足"],
        ),
    ],
}

#: compound name → contributions: day, kind, what, yuan, hours
CONTRIBUTIONS: dict[str, list[tuple[date, str, str, str | None, str | None]]] = {
    "平湖国际": [
        (date(2026, 8, 20), "money", "路灯维修资金", "12000.00", None),
        (date(2026, 9, 28), "goods", "灭火器30具", "4500.00", None),
        (date(2026, 10, 15), "volunteer_hours", "机关党员志愿服务（楼道清理）", None, "36.0"),
    ],
    "松湖花园": [
        (date(2026, 9, 12), "volunteer_hours", "停车位划线志愿服务", None, "24.0"),
    ],
}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _pairs(compounds: dict[str, Unit]) -> list[tuple[str, str]]:
    """(agency code, compound name) for the 67 agencies: the case's pairs, then the rest in order."""
    taken = set(CASE_PAIRS.values())
    rest = [c["name"] for c in compound_plan() if c["name"] not in taken]
    pairs = []
    for index, name in enumerate(AGENCIES, start=1):
        compound = CASE_PAIRS.get(name) or rest.pop(0)
        pairs.append((agency_code(index), compound))
    return pairs


def seed(ctx: DemoContext) -> None:
    for label in ("pairings", "problems", "deliberations", "contributions"):
        ctx.touch(label)
    units = {u.code: u for u in Unit.objects.filter(unit_type__in=[UnitType.AGENCY, UnitType.COMPOUND])}
    compounds = {u.name: u for u in units.values() if u.unit_type == UnitType.COMPOUND}
    existing = {(p.agency_id, p.compound_id, p.started_on): p for p in Liaison.objects.all()}
    liaisons: dict[str, Liaison] = {}
    new: list[tuple[Unit, Unit, str]] = []
    for agency_code_, compound_name in _pairs(compounds):
        agency, compound = units[agency_code_], compounds[compound_name]
        liaison = existing.get((agency.pk, compound.pk, PAIRED_SINCE))
        if liaison is None:
            new.append((agency, compound, AGENCY_CONTACTS.get(int(agency_code_.split("-")[1]), "")))
        else:
            liaisons[compound_name] = liaison
    if new:
        for liaison in services.liaisons_start_many(pairs=new, started_on=PAIRED_SINCE):
            liaisons[liaison.compound.name] = liaison
        ctx.tally("pairings", "created", len(new))

    titles = set(Demand.objects.values_list("compound_id", "title"))
    demands: dict[tuple[str, str], Demand] = {}
    for compound_name, rows in DEMANDS.items():
        compound = compounds[compound_name]
        for title, category, priority, state, raised_on, due_in in rows:
            if (compound.pk, title) in titles:
                continue
            demand = services.demand_raise(
                compound=compound,
                category=category,
                title=title,
                description=f"{compound_name}居民反映：{title}。",
                priority=priority,
                due_on=raised_on + timedelta(days=due_in),
                raised_on=raised_on,
                at=_at(raised_on, 9),
            )
            for step, to_state in enumerate(PATH_TO[state], start=1):
                services.demand_move(
                    demand=demand, to_state=to_state, note=NOTES[to_state], at=_at(raised_on + timedelta(days=3 * step))
                )
            demands[(compound_name, title)] = demand
            ctx.tally("problems", "created")

    held = set(Deliberation.objects.values_list("compound_id", "held_on", "topic"))
    for compound_name, meetings in DELIBERATIONS.items():
        compound = compounds[compound_name]
        for held_on, topic, attendees, decisions, titles_discussed in meetings:
            if (compound.pk, held_on, topic) in held:
                continue
            discussed = Demand.objects.filter(compound=compound, title__in=titles_discussed)
            services.deliberation_record(
                compound=compound,
                held_on=held_on,
                topic=topic,
                attendees=attendees,
                attendance=len(attendees.split("、")) + 5,
                decisions=decisions,
                demands=list(discussed),
            )
            ctx.tally("deliberations", "created")

    given = set(Contribution.objects.values_list("liaison_id", "given_on", "description"))
    for compound_name, items in CONTRIBUTIONS.items():
        liaison = liaisons[compound_name]
        for given_on, kind, description, amount, hours in items:
            if (liaison.pk, given_on, description) in given:
                continue
            services.contribution_record(
                liaison=liaison,
                kind=kind,
                given_on=given_on,
                description=description,
                amount=Decimal(amount) if amount else None,
                hours=Decimal(hours) if hours else None,
            )
            ctx.tally("contributions", "created")
