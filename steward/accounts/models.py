"""Users (staff with roles, customer users of one account), teams and API tokens."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    DISPATCHER = "dispatcher", "Dispatcher"
    AGENT = "agent", "Agent"
    TECHNICIAN = "technician", "Technician"


class CustomerRole(models.TextChoices):
    REQUESTER = "requester", "Requester"
    ADMIN = "customer_admin", "Customer admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("full_name", "Administrator")
        user = self.create_user(email, password, **extra)
        UserRole.objects.get_or_create(user=user, role=Role.ADMIN)
        return user


class User(AbstractBaseUser):
    """A person who signs in. Staff hold one or more roles; a customer user belongs to one account."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    welcomed_at = models.DateTimeField(null=True, blank=True, help_text="when the welcome mail went out")
    customer_account = models.ForeignKey(
        "customers.CustomerAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    customer_role = models.CharField(max_length=20, choices=CustomerRole.choices, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.CheckConstraint(
                name="user_customer_role_iff_account",
                condition=(Q(customer_account__isnull=True) & Q(customer_role=""))
                | (Q(customer_account__isnull=False) & ~Q(customer_role="")),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @cached_property
    def roles(self) -> frozenset[str]:
        if self.pk is None or self.customer_account_id is not None:
            return frozenset()
        return frozenset(self.role_grants.values_list("role", flat=True))

    @property
    def is_customer(self) -> bool:
        return self.customer_account_id is not None

    @property
    def is_customer_admin(self) -> bool:
        return self.customer_role == CustomerRole.ADMIN

    @property
    def is_staff_member(self) -> bool:
        return self.is_active and not self.is_customer and bool(self.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class Team(models.Model):
    """A group of staff and the queue of work addressed to it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True, help_text="inbound address for this queue")
    calendar = models.ForeignKey("core.Calendar", null=True, blank=True, on_delete=models.PROTECT)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiToken(models.Model):
    """A per-user token for programs. Only a SHA-256 of the secret is stored; it is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class UserSkill(models.Model):
    """A skill a staff member holds, at a level; where it needs a certification, it counts only
    until the certification's expiry (an expired certification is not a skill)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    skill = models.CharField(max_length=60)
    level = models.PositiveSmallIntegerField(
        default=3,
        help_text="1 (trainee) to 5 (expert)",
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    certified_until = models.DateField(
        null=True, blank=True, help_text="last day the certification is valid; empty = no certificate needed"
    )

    class Meta:
        ordering = ["user", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="user_skill_unique"),
            models.CheckConstraint(name="user_skill_level_range", condition=Q(level__gte=1, level__lte=5)),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.skill} ({self.level})"

    def is_valid_on(self, day) -> bool:
        return self.certified_until is None or self.certified_until >= day
