"""factory_boy factories for tests (and nothing else: the demo uses the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from steward.accounts.models import Team, User, UserRole
from steward.core.models import Calendar
from steward.customers.models import Asset, Contact, CustomerAccount, Site

PASSWORD = "correct-horse-battery-staple"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAccount

    name = factory.Sequence(lambda n: f"Customer {n:04d} GmbH")
    tier = "standard"
    email_domain = factory.Sequence(lambda n: f"customer{n}.example")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    address = factory.Sequence(lambda n: f"Hauptstraße {n}")
    postcode = "10115"
    city = "Berlin"
    latitude = Decimal("52.520008")
    longitude = Decimal("13.404954")


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    account = factory.SelfAttribute("site.account")
    site = factory.SubFactory(SiteFactory)
    model = "Rooftop unit RTU-40"
    manufacturer = "Klimatech"
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
    install_date = dt.date(2020, 5, 1)
    warranty_end = dt.date(2025, 5, 1)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    full_name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@steward.test")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff_user(*roles: str, **kwargs) -> User:
    user = UserFactory(
        email=kwargs.pop("email", f"{'-'.join(roles)}-{User.objects.count()}@steward.test"), **kwargs
    )
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    return user


def customer_user(account: CustomerAccount, role: str = "requester", **kwargs) -> User:
    return UserFactory(customer_account=account, customer_role=role, **kwargs)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    spec = factory.LazyFunction(
        lambda: {
            "timezone": "Europe/Berlin",
            "hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-12-25"],
        }
    )


# --- catalog (models named by label, so this block needs no imports of its own) ----------------


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Service"

    name = factory.Sequence(lambda n: f"Service {n:03d}")
    code = factory.Sequence(lambda n: f"service-{n:03d}")
    category = "HVAC"
    default_priority = "P3"
    standard_duration_minutes = 90


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """A 24/7 policy with no conditions (a fallback) unless told otherwise; add targets with
    SlaTargetFactory."""

    class Meta:
        model = "catalog.SlaPolicy"

    name = factory.Sequence(lambda n: f"Policy {n:03d}")
    order = factory.Sequence(lambda n: 1000 + n)
    pause_statuses = factory.LazyFunction(lambda: ["pending", "on_hold"])
    warning_percent = 80


class SlaTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.SlaTarget"

    policy = factory.SubFactory(SlaPolicyFactory)
    priority = "P2"
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480


class EscalationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.EscalationLevel"

    policy = factory.SubFactory(SlaPolicyFactory)
    target = "resolution"
    offset_minutes = -30
    actions = factory.LazyFunction(lambda: [{"type": "raise_priority"}])


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Contract"
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    policy = factory.SubFactory(SlaPolicyFactory)
    reference = factory.Sequence(lambda n: f"CT-{n:05d}")
    valid_from = dt.date(2026, 1, 1)
    valid_to = dt.date(2026, 12, 31)

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.services.set(extracted)


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare desk ticket (no timeline, so no SLA clocks): for scoping tests. Tests of the ticket's
    life and its SLA use `desk.services.ticket_create`, which writes the timeline and the clocks."""

    class Meta:
        model = "desk.Ticket"

    account = factory.SubFactory(AccountFactory)
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    priority = "P3"


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A small text file on a ticket (stored through the default storage)."""

    class Meta:
        model = "desk.Attachment"

    ticket = factory.SubFactory(TicketFactory)
    file = factory.django.FileField(filename="report.txt", data=b"hello")
    filename = "report.txt"
    content_type = "text/plain"
    size = 5
    sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


# --- quality: surveys ----------------------------------------------------------------------------


class SurveyFactory(factory.django.DjangoModelFactory):
    """A survey about a resolution of `ticket`, due now, answerable for 14 days. Pass sent_at (and
    answered_at) for the state you need; surveys of a real resolution come from desk.services."""

    class Meta:
        model = "quality.Survey"

    ticket = factory.SubFactory(TicketFactory)
    account = factory.SelfAttribute("ticket.account")
    resolved_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    email = factory.Sequence(lambda n: f"requester{n}@example.org")
    created_at = factory.SelfAttribute("resolved_at")
    due_at = factory.SelfAttribute("resolved_at")
    expires_at = factory.LazyAttribute(lambda o: o.due_at + dt.timedelta(days=14))


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    """An answered survey: the response keeps the survey's snapshot of ticket, account, agent,
    team and service."""

    class Meta:
        model = "quality.SurveyResponse"

    survey = factory.SubFactory(
        SurveyFactory,
        sent_at=factory.SelfAttribute("resolved_at"),
        answered_at=factory.SelfAttribute("resolved_at"),
    )
    ticket = factory.SelfAttribute("survey.ticket")
    account = factory.SelfAttribute("survey.account")
    agent = factory.SelfAttribute("survey.agent")
    team = factory.SelfAttribute("survey.team")
    service = factory.SelfAttribute("survey.service")
    csat = 4
    nps = 9
    answered_at = factory.SelfAttribute("survey.answered_at")


class InboundMailFactory(factory.django.DjangoModelFactory):
    """A received mail waiting in triage, with its raw message stored."""

    class Meta:
        model = "desk.InboundMail"

    message_id = factory.Sequence(lambda n: f"<m{n}@sender.example>")
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    source = "smtp"
    mail_from = "stranger@nowhere.example"
    subject = "Help with our boiler"
    status = "triage"
    reason = "unknown sender"
    raw = factory.django.FileField(
        filename="m.eml",
        data=b"From: Stranger <stranger@nowhere.example>\r\nSubject: Help with our boiler\r\n\r\nIt leaks.\r\n",
    )
