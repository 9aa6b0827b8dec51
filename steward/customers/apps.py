from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "steward.customers"
    label = "customers"
