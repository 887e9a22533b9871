"""Notices already in people's lists get their titles' dates as Chinese is written, like new ones.

A notice is created once per rule, subject and period, so a stored title is never written again: left
alone, "限期2026-10-30" would stay in the lists beside "限期2026年10月30日". Only titles are rewritten
(what the notice list shows); the text of deliveries is a record of what was sent and stays as it was.
"""

import re

from django.db import migrations

DAY = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
QUARTER = re.compile(r"(?<![0-9])([0-9]{4})-Q([1-4])(?![0-9])")
WEEK = re.compile(r"(?<![0-9])([0-9]{4})-W([0-9]{2})(?![0-9])")
BATCH = 1000


def chinese_dates(title: str) -> str:
    title = DAY.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", title)
    title = QUARTER.sub(lambda m: f"{m[1]}年第{m[2]}季度", title)
    return WEEK.sub(lambda m: f"{m[1]}年第{int(m[2])}周", title)


def rewrite_titles(apps, schema_editor):
    notice = apps.get_model("yiling", "Notice")
    stale = notice.objects.filter(title__regex=r"[0-9]{4}-([0-9]{2}-[0-9]{2}|Q[1-4]|W[0-9]{2})")
    changed = []
    for row in stale.only("pk", "title").iterator(chunk_size=BATCH):
        title = chinese_dates(row.title)
        if title != row.title:
            row.title = title[:200]
            changed.append(row)
        if len(changed) >= BATCH:
            notice.objects.bulk_update(changed, ["title"])
            changed = []
    notice.objects.bulk_update(changed, ["title"])


class Migration(migrations.Migration):
    dependencies = [("yiling", "0003_notices")]

    operations = [migrations.RunPython(rewrite_titles, migrations.RunPython.noop, elidable=True)]
