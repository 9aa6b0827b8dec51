"""The customer directory: accounts, their contacts, sites and installed assets."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from steward.core.validators import validate_timezone


class Tier(models.TextChoices):
    GOLD = "gold", "Gold"
    SILVER = "silver", "Silver"
    BRONZE = "bronze", "Bronze"
    STANDARD = "standard", "Standard"


class CustomerAccount(models.Model):
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD, db_index=True)
    contract_ref = models.CharField("contract reference", max_length=60, blank=True)
    email_domain = models.CharField(
        max_length=120, blank=True, help_text="mail from this domain is attributed to the account"
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name"], name="customer_account_name_unique")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="contacts")
    full_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    user = models.OneToOneField(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"], condition=~Q(email=""), name="contact_email_unique_per_account"
            )
        ]
        indexes = [models.Index(fields=["email"], name="contact_email_idx")]

    def __str__(self) -> str:
        return self.full_name


class Site(models.Model):
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=250)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="DE", help_text="ISO 3166-1 alpha-2")
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    timezone = models.CharField(max_length=64, default="Europe/Berlin", validators=[validate_timezone])
    access_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account__name", "name", "id"]
        constraints = [
            models.CheckConstraint(
                name="site_latitude_range", condition=Q(latitude__gte=-90, latitude__lte=90)
            ),
            models.CheckConstraint(
                name="site_longitude_range", condition=Q(longitude__gte=-180, longitude__lte=180)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class AssetStatus(models.TextChoices):
    IN_SERVICE = "in_service", "In service"
    IN_REPAIR = "in_repair", "In repair"
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    RETIRED = "retired", "Retired"


class Asset(models.Model):
    """An installed unit at a customer's site (the installed base)."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="assets")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assets")
    model = models.CharField(max_length=150)
    manufacturer = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=100)
    install_date = models.DateField(null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=AssetStatus.choices, default=AssetStatus.IN_SERVICE)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site__name", "model", "id"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "serial_number"], name="asset_serial_unique"),
            models.CheckConstraint(
                name="asset_warranty_after_install",
                condition=Q(warranty_end__isnull=True)
                | Q(install_date__isnull=True)
                | Q(warranty_end__gte=models.F("install_date")),
            ),
        ]
        indexes = [models.Index(fields=["serial_number"], name="asset_serial_idx")]

    def __str__(self) -> str:
        return f"{self.model} #{self.serial_number}"

    def under_warranty(self, on) -> bool:
        return self.warranty_end is not None and self.warranty_end >= on
