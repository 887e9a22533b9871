from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.district, name="district"),
    path("<str:code>/", views.node, name="node"),
]
