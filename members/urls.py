from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="member-list"),
    path("<int:pk>/", views.member_detail, name="member-detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="member-reveal"),
    path("<int:pk>/call/", views.member_call, name="member-call"),
    path("units/<str:code>/", views.unit_detail, name="unit-detail"),
    path("units/<str:code>/checkins/", views.checkin_submit, name="checkin-submit"),
    path("units/<str:code>/posts/assign/", views.post_assign, name="post-assign"),
    path("checkins/<int:pk>/confirm/", views.checkin_confirm, name="checkin-confirm"),
    path("checkins/<int:pk>/return/", views.checkin_return, name="checkin-return"),
    path("posts/<int:pk>/end/", views.post_end, name="post-end"),
    path("posts/<int:pk>/resume/", views.post_resume, name="post-resume"),
]
