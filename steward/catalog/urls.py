from django.urls import path

from steward.catalog import views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.service_list, name="service_list"),
    path("catalog/services/new/", views.service_edit, name="service_create"),
    path("catalog/services/<int:pk>/", views.service_detail, name="service_detail"),
    path("catalog/services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("catalog/sla-policies/", views.policy_list, name="policy_list"),
    path("catalog/sla-policies/new/", views.policy_edit, name="policy_create"),
    path("catalog/sla-policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("catalog/sla-policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("catalog/contracts/", views.contract_list, name="contract_list"),
    path("catalog/contracts/new/", views.contract_edit, name="contract_create"),
    path("catalog/contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("catalog/contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
]
