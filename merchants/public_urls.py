"""The public pages: the pledge boards customers open from the QR code on the counter."""

from django.urls import path

from . import public_views

app_name = "board"

urlpatterns = [
    path("boards/", public_views.board_list, name="board-list"),
    path("board/<str:code>/", public_views.board, name="board"),
    path("board/<str:code>/feedback/", public_views.feedback_submit, name="feedback"),
    path("board/<str:code>/receipt/", public_views.receipt, name="receipt"),
    path("board/<str:code>/qr.svg", public_views.qr_svg, name="qr"),
    path("board/<str:code>/plaque/", public_views.plaque, name="plaque"),
]
