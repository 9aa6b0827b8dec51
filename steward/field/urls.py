from django.urls import path

from steward.field import tech_views, views

app_name = "field"

urlpatterns = [
    path("field/", views.work_order_list, name="work_order_list"),
    path("field/work-orders/new/", views.work_order_create, name="work_order_create"),
    path("field/work-orders/<int:pk>/", views.work_order_detail, name="work_order_detail"),
    path("field/work-orders/<int:pk>/photos/<int:photo_pk>/", tech_views.photo_file, name="photo_file"),
    path("field/technicians/", views.technician_list, name="technician_list"),
    path("field/technicians/new/", views.technician_create, name="technician_create"),
    path("field/technicians/<int:pk>/", views.technician_detail, name="technician_detail"),
    path("field/technicians/<int:pk>/edit/", views.technician_edit, name="technician_edit"),
    path("field/technicians/<int:pk>/shifts/new/", views.shift_add, name="shift_add"),
    path("field/technicians/<int:pk>/absences/new/", views.absence_add, name="absence_add"),
    path("field/shifts/<int:pk>/delete/", views.shift_delete, name="shift_delete"),
    path("field/absences/<int:pk>/delete/", views.absence_delete, name="absence_delete"),
    path("field/from-ticket/<int:ticket_pk>/", views.work_order_from_ticket, name="from_ticket"),
    path("field/accounts/search/", views.account_search, name="account_search"),
    path("field/maintenance-plans/", views.maintenance_plan_list, name="maintenance_plan_list"),
    path("field/maintenance-plans/new/", views.maintenance_plan_create, name="maintenance_plan_create"),
    path("field/maintenance-plans/<int:pk>/", views.maintenance_plan_detail, name="maintenance_plan_detail"),
    path("field/maintenance-plans/<int:pk>/edit/", views.maintenance_plan_edit, name="maintenance_plan_edit"),
    path("field/depots/", views.depot_list, name="depot_list"),
    path("field/depots/new/", views.depot_create, name="depot_create"),
    path("field/depots/<int:pk>/edit/", views.depot_edit, name="depot_edit"),
    path("field/vans/", views.van_list, name="van_list"),
    path("field/vans/new/", views.van_create, name="van_create"),
    path("field/vans/<int:pk>/edit/", views.van_edit, name="van_edit"),
]
