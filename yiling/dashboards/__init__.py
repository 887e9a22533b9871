"""The dashboards: the district picture with its drill-down and each secretary's work page.

They read figures only from the indicator registry (``yiling.indicators``) and to-do items only from
the to-do registry (``yiling.todos``), so a figure or an item an app declares appears here by itself.
"""
