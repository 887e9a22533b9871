"""Notices (全流程督导): programmes and their tasks, periodic rules, the inbox, email and webhook delivery.

Each app declares its rules in ``<app>/notices.py`` with :func:`yiling.notices.registry.notice_rule`;
``run_notices`` and the Celery beat schedules run them. A notice's effect happens once per (rule,
subject, recipient, period): the database's unique constraints on ``Notice`` and ``Delivery`` say so,
not the broker.
"""
