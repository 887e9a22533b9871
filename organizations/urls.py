from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list, name="organization-list"),
    path("<str:code>/", views.organization_detail, name="organization-detail"),
]
