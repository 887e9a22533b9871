from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/open/", views.notice_open, name="notice-open"),
    path("read-all/", views.mark_all_read, name="mark-all-read"),
    path("preferences/", views.preferences, name="preferences"),
    path("progress/", views.progress, name="progress"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme-detail"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("reports/<int:pk>/evidence/", views.report_evidence, name="report-evidence"),
]
