from django.urls import path

from . import views

app_name = "merchants"

urlpatterns = [
    path("", views.index, name="index"),
    path("desk/", views.desk, name="desk"),
    path("shops/<str:code>/", views.shop, name="shop"),
    path("shops/<str:code>/pledges/", views.pledge_propose, name="pledge-propose"),
    path("feedback/", views.moderation, name="moderation"),
    path("feedback/<int:pk>/reply/", views.feedback_reply, name="feedback-reply"),
    path("feedback/<int:pk>/publish/", views.feedback_publish, name="feedback-publish"),
    path("feedback/<int:pk>/reject/", views.feedback_reject, name="feedback-reject"),
    path("feedback/<int:pk>/close/", views.complaint_close, name="complaint-close"),
    path("feedback/<int:pk>/phone/", views.contact_phone, name="contact-phone"),
    path("feedback/<int:pk>/take/", views.complaint_take, name="complaint-take"),
    path("complaints/", views.complaints, name="complaints"),
    path("pledges/", views.pledges, name="pledges"),
    path("pledges/<int:pk>/approve/", views.pledge_approve, name="pledge-approve"),
    path("pledges/<int:pk>/return/", views.pledge_return, name="pledge-return"),
    path("ratings/", views.ratings, name="ratings"),
]
