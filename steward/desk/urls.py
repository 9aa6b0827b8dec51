from django.urls import path

from steward.desk import views

app_name = "desk"
urlpatterns = [
    path("desk/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    # the agent's workspace
    path("desk/", views.queue, name="index"),
    path("desk/queues/<slug:queue>/", views.queue, name="queue"),
    path("desk/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("desk/tickets/new/", views.ticket_create, name="ticket_create"),
    path("desk/tickets/new/accounts/", views.account_search, name="account_search"),
    path("desk/tickets/new/account/", views.account_fields, name="account_fields"),
    path("desk/tickets/new/priority/", views.priority_preview, name="priority_preview"),
    path("desk/tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("desk/tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("desk/tickets/<int:pk>/status/", views.ticket_status, name="ticket_status"),
    path("desk/tickets/<int:pk>/priority/", views.ticket_priority, name="ticket_priority"),
    path("desk/tickets/<int:pk>/assign/", views.ticket_assign, name="ticket_assign"),
    path("desk/tickets/<int:pk>/tags/", views.ticket_tags, name="ticket_tags"),
    path("desk/tickets/<int:pk>/link/", views.ticket_link, name="ticket_link"),
    path("desk/tickets/<int:pk>/unlink/", views.ticket_unlink, name="ticket_unlink"),
    path("desk/tickets/<int:pk>/merge/", views.ticket_merge, name="ticket_merge"),
    path("desk/teams/<int:pk>/routing/", views.team_routing, name="team_routing"),
]
