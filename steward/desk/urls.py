from django.urls import path

from steward.desk import views

app_name = "desk"
urlpatterns = [
    path("desk/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
