"""The demo's service-desk history, planned in pure Python (no database): six months of tickets
up to the load instant, and the live backlog at that instant.

`plan_history(world, seed=..., now=..., tickets=...)` returns `TicketDraft`s for the bulk builder
(`desk.bulk.build_tickets`) plus the surveys, links and triage mails that go with them. Every
ticket is simulated as the services and the SLA sweeper would have lived it:

* arrivals follow an hourly and weekly profile in Berlin time (office-hour peaks, Monday high,
  quiet nights and weekends, holidays like a Sunday), over channels (portal, email, phone, API),
  services of the catalog, types, priorities from the impact x urgency matrix (a few overridden
  with a reason), the service's team and that team's routing (round-robin, least open load, or a
  lead assigning by hand);
* agents answer first mostly within the first-response target (some late), ask customers for
  details (pending, which pauses the clocks), customers reply, agents reply again (next response),
  resolve (mostly within the resolution target), sometimes change the priority or put a ticket on
  hold; a few tickets are reopened, merged as duplicates or linked; resolved tickets are closed by
  the auto-close job after `autoclose_days`;
* the SLA clocks are computed with `desk.clock_state.clock_state` after every change, and what the
  sweeper does as time passes is done at the instant it falls due: warnings and breaches claimed
  (an "sla_warning"/"sla_breached" event), escalation levels fired with their actions (notify,
  raise the priority, reassign to a team). So the stored state at `now` is exactly what
  `recompute_sla` stores, and nothing is left due at the load instant;
* a share of resolutions gets a survey (one per resolution, as the services schedule them) and a
  share of those an answer, with CSAT and NPS that depend a little on the agent, the team and how
  the ticket went.

Determinism: one `random.Random` stream of its own ("history"), so the rest of the demo does not
change; the same seed, world and `now` give the same plan. Ids in `world` are only carried through.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from steward.catalog.matching import PolicyRule, TicketFacts, choose_policy
from steward.core.calendars import BusinessCalendar, add_business_time
from steward.desk.bulk import AuditDraft, EventDraft, FiredEscalation, MessageDraft, TicketDraft, TicketRef
from steward.desk.clock_state import ClockState, EscalationSpec, clock_state, replay_input
from steward.desk.priority import priority_from_matrix
from steward.desk.sla import ALL_TARGETS, parse_policy

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_TICKETS = 30_000
DEFAULT_DAYS = 182

PRIORITY_UP = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}
PRIORITY_DOWN = {"P1": "P2", "P2": "P3", "P3": "P4", "P4": "P4"}
LEVELS = ("high", "medium", "low")
REPLAY_TYPES = frozenset({"created", "status", "priority", "agent_reply", "customer_reply", "policy"})
OPEN = frozenset({"new", "open", "pending", "on_hold"})
DONE = frozenset({"resolved", "closed"})
SWEEP_TICK_SECONDS = 15  # the worker's tick: the sweeper notices a due item within it

# Arrivals: relative rate by hour of the day (Berlin time) and by weekday (Monday first).
HOURLY = (0.10, 0.07, 0.06, 0.06, 0.08, 0.15, 0.35, 0.75, 1.45, 1.70, 1.60, 1.40,
          0.95, 1.30, 1.35, 1.20, 1.00, 0.70, 0.45, 0.35, 0.28, 0.22, 0.17, 0.13)  # fmt: skip
WEEKDAY = (1.35, 1.12, 1.02, 1.0, 0.85, 0.24, 0.14)
HOLIDAY = 0.16

CHANNELS = (("portal", 36), ("email", 33), ("phone", 23), ("api", 8))
TIER_WEIGHT = {"gold": 3.0, "silver": 1.8, "bronze": 1.1, "standard": 0.7}

# Service codes with their share of tickets and ticket type.
SERVICE_MIX: dict[str, tuple[float, str]] = {
    "it-incident": (20, "incident"),
    "it-request": (10, "service_request"),
    "printer-repair": (7, "incident"),
    "server-outage": (3, "incident"),
    "hvac-repair": (9, "incident"),
    "heating-repair": (8, "incident"),
    "heat-pump-diagnosis": (3, "incident"),
    "refrigerant-leak-check": (2, "service_request"),
    "electrical-fault": (7, "incident"),
    "ups-service": (3, "incident"),
    "fire-alarm-fault": (2, "incident"),
    "elevator-breakdown": (2, "incident"),
    "pm-hvac": (2, "service_request"),
    "pm-electrical": (1.5, "service_request"),
    "pm-fire-alarm": (1, "service_request"),
    "complaint": (3, "complaint"),
    "question": (6, "question"),
}
NO_SERVICE_SHARE = 0.08  # mail that names no service: triaged by the service desk

SUBJECTS: dict[str, tuple[str, ...]] = {
    "it-incident": ("Cannot log in to the workstation", "Outlook keeps asking for the password",
                    "VPN connection drops every few minutes", "ERP client crashes on start",
                    "Shared drive not reachable", "Laptop does not boot after update",
                    "Teams calls without sound", "Account locked after password change"),
    "it-request": ("New employee starting Monday: account and laptop", "Access to the finance share",
                   "Install drawing software on two workstations", "Order a second monitor",
                   "Mailbox for the new reception desk", "Remove access for a leaver"),
    "printer-repair": ("Printer on 2nd floor jams constantly", "Streaks on every colour print",
                       "Scanner sends no mails any more", "Finisher error 4-digit code",
                       "Copier shows 'call service'"),
    "server-outage": ("File server not reachable", "Core switch down at the branch",
                      "Site link to the warehouse is down", "Virtualisation host unresponsive",
                      "Backup server offline since the night"),
    "hvac-repair": ("Air conditioning in the meeting room not cooling", "Server room too warm",
                    "Ventilation makes loud noise", "Split unit leaking water",
                    "Cold store temperature alarm", "Rooftop unit in fault"),
    "heating-repair": ("No heating in the east wing", "Boiler in lockout", "No hot water in the kitchen",
                       "Heating pressure keeps dropping", "Radiators cold on the 3rd floor"),
    "heat-pump-diagnosis": ("Heat pump shows high-pressure fault", "Heat pump runs but no heat",
                            "Heat pump very loud at night"),
    "refrigerant-leak-check": ("Annual F-gas leak check due", "Leak check after refrigerant top-up",
                               "Logbook entry for the chiller leak test"),
    "electrical-fault": ("Breaker trips in the kitchen", "Lighting failure in the stairwell",
                         "Sockets dead in the office area", "Emergency lighting test failed",
                         "Flickering lights in the warehouse"),
    "ups-service": ("UPS on battery alarm", "UPS self-test failed", "UPS batteries end of life warning"),
    "fire-alarm-fault": ("Fire alarm panel shows fault", "False alarm from detector group 4",
                         "Fire alarm panel battery fault"),
    "elevator-breakdown": ("Elevator stuck on the 2nd floor", "Elevator doors do not close",
                           "Elevator out of service"),
    "pm-hvac": ("Schedule the spring HVAC maintenance", "Filter change for the air handling units"),
    "pm-electrical": ("DGUV V3 inspection of portable equipment", "Schedule the electrical safety inspection"),
    "pm-fire-alarm": ("Annual fire alarm inspection", "Detector test to DIN 14675"),
    "complaint": ("Technician did not show up", "Invoice does not match the work done",
                  "Repair took far too long", "Nobody called back", "Dirt left after the visit"),
    "question": ("Question about our contract", "Which services are included?", "Copy of last invoice",
                 "How do we report faults out of hours?", "Change of our billing address"),
    "": ("Problem at our site", "Please call back", "Urgent: something is not working",
         "Request for a quote", "Follow-up on our call"),
}  # fmt: skip

TAGS: dict[str, tuple[str, ...]] = {
    "IT support": ("password", "network", "hardware", "software", "access", "printer", "vpn"),
    "HVAC & heating": ("cooling", "heating", "noise", "leak", "spare-parts", "f-gas"),
    "Electrical & building systems": ("lighting", "power", "safety", "battery", "spare-parts"),
    "Preventive maintenance": ("scheduled", "inspection", "contract"),
    "Customer care": ("billing", "contract", "follow-up", "feedback"),
    "": ("triage", "follow-up"),
}

AGENT_FIRST = (
    "Thank you for your message. We are looking into it and will get back to you shortly.",
    "Thanks for reporting this. A colleague is checking the details now.",
    "We have received your request and are working on it.",
)
AGENT_ASK = (
    "Could you send us a photo of the display or the error message?",
    "Could you tell us the exact location and since when this happens?",
    "Please let us know a contact person on site and a time window for a visit.",
    "Could you check whether the device shows a fault code and send it to us?",
)
AGENT_NEXT = (
    "Thanks for the details. We have scheduled the next step and will keep you posted.",
    "Thank you. Our technician will take care of it; we will confirm the appointment.",
    "Understood, we are on it.",
)
AGENT_RESOLVE = (
    "The issue has been fixed. Please let us know if anything else comes up.",
    "Our technician completed the repair on site; everything is working again.",
    "We have made the change you asked for. This ticket is resolved.",
    "Solved remotely: please restart the application once and it will work again.",
)
CUSTOMER_REPLY = (
    "Here are the details you asked for.",
    "Photo attached; the display shows the same code again.",
    "Contact on site is our caretaker, available 8-16.",
    "It happened again this morning.",
    "Any news on this? It is getting urgent.",
    "Thanks, the time slot works for us.",
)
CUSTOMER_REOPEN = (
    "The problem is back since this morning.",
    "Unfortunately it is not fixed: same error again.",
)
NOTES = (
    "Called the customer, left a voicemail.",
    "Spare part ordered, delivery in two days.",
    "Checked remotely: logs show repeated failures since last week.",
    "Coordinated with the field team for a visit.",
)
PRIORITY_REASONS_UP = ("Customer reports production stop", "Affects more users than reported",
                       "Safety relevant")  # fmt: skip
PRIORITY_REASONS_DOWN = ("Workaround in place", "Only one user affected")
SURVEY_COMMENTS = {
    "good": ("Quick and friendly, thank you!", "Technician was very competent.", "Solved on the first call.",
             "Great communication throughout."),
    "bad": ("Took far too long.", "Nobody kept us informed.", "We had to call three times.",
            "Problem came back after two days."),
    "mid": ("OK, but the appointment was late.", "Fine in the end.", ""),
}  # fmt: skip
TRIAGE_MAILS = (
    ("info@unbekannt-gmbh.example", "Anfrage Wartungsvertrag"),
    ("einkauf@neukunde-bau.example", "Angebot für Klimaanlagen-Service?"),
    ("noreply@monitoring.example", "ALERT: temperature sensor 3 offline"),
    ("m.schulz@privat.example", "Heizung in meiner Wohnung defekt"),
)


# --- the world the plan draws from (read from the database by the loader) --------------------------


@dataclass(frozen=True)
class ContactInfo:
    id: int
    email: str
    user_id: int | None


@dataclass(frozen=True)
class AccountInfo:
    id: int
    tier: str
    contacts: tuple[ContactInfo, ...]
    sites: tuple[tuple[int, tuple[int, ...]], ...]  # (site id, asset ids)


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    code: str
    category: str
    team_id: int | None
    default_priority: str = "P3"


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    agent_ids: tuple[int, ...]  # members holding the agent role (routing candidates)
    member_count: int
    has_email: bool
    lead_id: int | None
    strategy: str  # manual, round_robin, least_open


@dataclass(frozen=True)
class ContractInfo:
    account_id: int
    policy_id: int
    valid_from: date
    valid_to: date | None
    service_ids: frozenset[int]


@dataclass(frozen=True)
class LevelInfo:
    id: int
    policy_id: int
    target: str
    offset_minutes: int
    actions: tuple[Mapping[str, Any], ...]


@dataclass
class HistoryWorld:
    accounts: Sequence[AccountInfo]
    services: Sequence[ServiceInfo]
    teams: Sequence[TeamInfo]
    desk_team_id: int  # the service desk: tickets without a service, front-line replies
    policy_rules: Sequence[PolicyRule]
    policies: Mapping[int, dict[str, Any]]  # replay dicts by policy id
    levels: Sequence[LevelInfo]
    contracts: Sequence[ContractInfo]
    holidays: frozenset[str]  # ISO dates of Berlin public holidays
    autoclose_days: int = 7
    reopen_window_days: int = 14
    survey_delay_minutes: int = 60
    survey_expiry_days: int = 14


@dataclass
class SurveyPlan:
    ticket: int  # index of the ticket draft
    resolved_at: datetime
    account_id: int
    requester_id: int | None
    email: str
    agent_id: int | None
    team_id: int | None
    service_id: int | None
    due_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    answer: dict[str, Any] | None  # {csat, nps, comment, answered_at}


@dataclass
class LinkPlan:
    from_ticket: int
    to_ticket: int
    kind: str
    created_by: int | None
    created_at: datetime


@dataclass
class HistoryPlan:
    tickets: list[TicketDraft]
    surveys: list[SurveyPlan]
    links: list[LinkPlan]
    triage_mails: list[dict[str, Any]]
    now: datetime

    def counts(self) -> dict[str, int]:
        return {
            "tickets": len(self.tickets),
            "open_tickets": sum(1 for d in self.tickets if d.fields["status"] in OPEN),
            "events": sum(len(d.events) for d in self.tickets),
            "messages": sum(len(d.messages) for d in self.tickets),
            "surveys": len(self.surveys),
            "survey_responses": sum(1 for s in self.surveys if s.answer is not None),
        }


# --- arrivals ----------------------------------------------------------------------------------------


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:  # normal approximation keeps this cheap for large rates
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def arrival_rate(local: datetime, holidays: frozenset[str]) -> float:
    """The relative arrival rate in the local (Berlin) hour starting at `local`."""
    day = WEEKDAY[local.weekday()]
    if local.date().isoformat() in holidays:
        day = min(day, HOLIDAY)
    return HOURLY[local.hour] * day


def plan_arrivals(rng: random.Random, *, start: datetime, end: datetime, tickets: int,
                  holidays: frozenset[str]) -> list[datetime]:  # fmt: skip
    """Creation instants (UTC, sorted) of about `tickets` tickets between start and end."""
    hours: list[tuple[datetime, float]] = []
    t = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while t < end:
        hours.append((t, arrival_rate(t.astimezone(BERLIN), holidays)))
        t += timedelta(hours=1)
    total = sum(rate for _, rate in hours) or 1.0
    scale = tickets / total
    out: list[datetime] = []
    for hour, rate in hours:
        for _ in range(_poisson(rng, rate * scale)):
            at = hour + timedelta(seconds=rng.uniform(0, 3600))
            if start <= at < end:
                out.append(at.replace(microsecond=0))
    out.sort()
    return out


# --- one ticket's life ---------------------------------------------------------------------------------


class _Life:
    """A ticket as the services and the sweeper live it: appends timeline events, recomputes the
    clocks after every change of the replay's input, and does what falls due in between."""

    def __init__(self, planner: _Planner, index: int, fields: dict[str, Any], actor_id: int | None,
                 at: datetime, policy_id: int | None) -> None:  # fmt: skip
        self.p = planner
        self.index = index
        self.fields = fields
        self.events: list[EventDraft] = []
        self.messages: list[MessageDraft] = []
        self.audit: list[AuditDraft] = []
        self.fired: list[FiredEscalation] = []
        self.tags: list[str] = []
        self.replay: list[tuple[datetime, str, dict[str, Any]]] = []
        self._state: ClockState | None = None
        self.claims: set[tuple[str, datetime, str]] = set()
        self.fired_keys: set[tuple[int, datetime]] = set()
        self.resolutions: list[datetime] = []
        self.agent_replies = 0
        self.customer_replies = 0
        self.breaches: set[str] = set()
        self.reopened = False
        self.merged = False
        self.policy_id = policy_id
        policy = planner.world.policies.get(policy_id) if policy_id is not None else None
        self.calendar: BusinessCalendar = parse_policy(policy or {"targets": {}}).calendar
        self._emit(at, "created", actor_id, {
            "priority": fields["priority"], "status": "new", "channel": fields["channel"],
            "policy": policy, "policy_id": policy_id,
        })  # fmt: skip

    # -- the clocks

    @property
    def status(self) -> str:
        return self.fields["status"]

    @property
    def last_at(self) -> datetime:
        return self.events[-1].at

    def state(self) -> ClockState:
        if self._state is None:
            state = self._state = clock_state(replay_input(self.replay), self.replay[-1][0], self.p.specs)
            for kind, clock in state.targets.items():
                key = (kind, clock.cycle_opened_at)
                if clock.status == "running":  # recomputed below its warning share: it may warn again
                    self.claims.discard((*key, "warning"))
                # A change that put a clock in warning or past its deadline (a priority raised, a
                # reopen carrying the time spent) is claimed by the service's own recompute, then.
                elif clock.status == "breached" and (*key, "breach") not in self.claims:
                    self._claim(clock, "breach", max(state.now, self.last_at))
                elif clock.status == "warning" and (*key, "warning") not in self.claims:
                    self._claim(clock, "warning", max(state.now, self.last_at))
        return self._state

    def _emit(self, at: datetime, type_: str, actor_id: int | None, data: dict[str, Any],
              message: int | None = None) -> None:  # fmt: skip
        self.events.append(EventDraft(at=at, type=type_, data=data, actor_id=actor_id, message=message))
        if type_ in REPLAY_TYPES:
            if "policy" in data:  # compiled once: the replay then skips parsing it again
                data = {**data, "policy": self.p.compiled(data["policy"])}
            self.replay.append((at, type_, data))
            self._state = None

    def target_minutes(self, kind: str) -> float:
        """The current target in business minutes (a default where none applies)."""
        policy = self.p.world.policies.get(self.policy_id) if self.policy_id is not None else None
        minutes = ((policy or {}).get("targets", {}).get(kind, {}) or {}).get(self.fields["priority"])
        return float(minutes) if minutes else {"first_response": 240, "next_response": 480}.get(kind, 2400)

    def business_after(self, start: datetime, minutes: float) -> datetime:
        return add_business_time(start, timedelta(minutes=max(minutes, 0.5)), self.calendar).astimezone(UTC)

    # -- the sweeper, continuously

    def advance(self, until: datetime) -> datetime:
        """Do what falls due before `until` (warnings, breaches, escalations), each at its instant
        plus up to one worker tick. Returns the instant the next event happens at: `until`, or the
        last event's if that is later (a timeline never goes back)."""
        if self.replay and until <= self.replay[-1][0]:
            return max(until, self.last_at)  # no time has passed: nothing fell due since the last change
        if self.status in DONE or self.status in self.p.pause_statuses(self.policy_id):
            return max(until, self.last_at)  # every clock is closed or paused: nothing can fall due
        while True:
            due = self._next_due(until)
            if due is None:
                return max(until, self.last_at)
            instant, kind, item = due
            at = min(until, instant + timedelta(seconds=self.p.rng.uniform(0, SWEEP_TICK_SECONDS)))
            at = max(at, self.last_at)
            if kind == "escalation":
                self._fire(item, at)
            else:
                self._claim(item, kind, at)

    def _next_due(self, until: datetime):
        """The earliest item due before `until`: (instant, kind, item) or None. Breaches before
        warnings at the same instant (the sweeper's order), escalations after both."""
        if not self.replay:
            return None
        state = self.state()
        candidates = []
        for kind, clock in state.targets.items():
            cycle = clock.cycle_opened_at
            if (
                clock.status == "running"
                and clock.warning_at is not None
                and clock.warning_at <= until
                and (kind, cycle, "warning") not in self.claims
            ):
                candidates.append((clock.warning_at, 1, "warning", clock))
            if (
                clock.status in ("running", "warning")
                and clock.deadline is not None
                and clock.deadline < until
                and (kind, cycle, "breach") not in self.claims
            ):
                candidates.append((clock.deadline, 0, "breach", clock))
        for items in state.escalations.values():
            for esc in items:
                key = (esc.level_id, esc.cycle_opened_at)
                if esc.due_at is not None and esc.due_at <= until and key not in self.fired_keys:
                    candidates.append((esc.due_at, 2, "escalation", esc))
        if not candidates:
            return None
        instant, _, kind, item = min(candidates, key=lambda c: (c[0], c[1]))
        return instant, kind, item

    def _claim(self, clock, kind: str, at: datetime) -> None:
        self.claims.add((clock.target, clock.cycle_opened_at, kind))
        data: dict[str, Any] = {"target": clock.target, "deadline": clock.deadline}
        if kind == "breach":
            data["breached_at"] = clock.breached_at or clock.deadline  # the sweeper claims at the deadline
            self.breaches.add(clock.target)
        self._emit(at, "sla_breached" if kind == "breach" else "sla_warning", None, data)
        self.audit.append(AuditDraft(at=at, action=f"sla.{'breached' if kind == 'breach' else 'warning'}",
                                     changes=data))  # fmt: skip

    def _fire(self, esc, at: datetime) -> None:
        self.fired_keys.add((esc.level_id, esc.cycle_opened_at))
        self.fired.append(FiredEscalation(esc.level_id, esc.target, esc.cycle_opened_at, esc.due_at, at))
        level = self.p.levels[esc.level_id]
        done: list[str] = []
        for action in level.actions:
            kind = action["type"]
            if kind == "raise_priority" and self.status in OPEN:
                new = PRIORITY_UP[self.fields["priority"]]
                if new != self.fields["priority"]:
                    self.change_priority(
                        at, None, new, f"escalation: {esc.target} {level.offset_minutes:+d} min"
                    )
                    done.append(f"priority {new}")
            elif kind == "reassign_team" and self.status in OPEN:
                team = self.p.teams.get(action["team_id"])
                if team is not None and team.id != self.fields["team_id"]:
                    assignee = self.fields["assignee_id"]
                    if assignee is not None and assignee not in team.agent_ids:
                        assignee = None
                    self.assign(at, None, team.id, assignee, rule="escalation")
                    if assignee is None:
                        self.route(at, None)
                    done.append(f"reassigned to {team.name}")
            elif kind == "notify_users":
                done.append(f"notified {len(action['user_ids'])}")
            elif kind == "notify_team":
                team = self.p.teams.get(action["team_id"])
                n = (team.member_count + (1 if team.has_email else 0)) if team else 0
                done.append(f"notified {n}")
        self._emit(at, "escalation", None, {"target": esc.target, "offset_minutes": level.offset_minutes,
                                            "level": level.id, "actions": done})  # fmt: skip
        self.audit.append(AuditDraft(at=at, action="sla.escalation", changes={
            "target": esc.target, "offset_minutes": level.offset_minutes, "actions": done}))  # fmt: skip

    # -- what people do (each first lets the sweeper catch up to its instant)

    def assign(self, at: datetime, actor_id: int | None, team_id: int | None, assignee_id: int | None,
               rule: str = "") -> None:  # fmt: skip
        before = (self.fields["team_id"], self.fields["assignee_id"])
        self.fields["team_id"], self.fields["assignee_id"] = team_id, assignee_id
        if (team_id, assignee_id) != before:
            data: dict[str, Any] = {"team": team_id, "assignee": assignee_id}
            if rule:
                data["rule"] = rule
            self._emit(at, "assign", actor_id, data)
            changes = {}
            if before[0] != team_id:
                changes["team"] = [before[0], team_id]
            if before[1] != assignee_id:
                changes["assignee"] = [before[1], assignee_id]
            self.audit.append(AuditDraft(at=at, action="ticket.assign", changes=changes, actor_id=actor_id))

    def route(self, at: datetime, actor_id: int | None) -> None:
        team = self.p.teams.get(self.fields["team_id"])
        if team is None or team.strategy == "manual" or not team.agent_ids:
            return
        chosen = self.p.choose_agent(team, at)
        self.assign(at, actor_id, team.id, chosen, rule=team.strategy)

    def set_status(self, at: datetime, actor_id: int | None, status: str, reason: str = "",
                   survey: bool = True) -> None:  # fmt: skip
        old = self.status
        if status == old:
            return
        self.fields["status"] = status
        if status == "resolved":
            self.fields["resolved_at"] = at
            self.fields["first_contact_resolution"] = (
                self.agent_replies == 1 and self.customer_replies == 0 and not self.resolutions
            )
            self.resolutions.append(at)
        elif status == "closed":
            self.fields["closed_at"] = at
            if self.fields.get("resolved_at") is None:
                self.fields["resolved_at"] = at
        elif old in DONE:
            self.fields.update(resolved_at=None, closed_at=None, first_contact_resolution=False)
            self.reopened = True
        data: dict[str, Any] = {"status": status, "from": old}
        if reason:
            data["reason"] = reason
        self._emit(at, "status", actor_id, data)
        reopen = old in DONE and status not in DONE
        self.audit.append(AuditDraft(at=at, action="ticket.reopen" if reopen else "ticket.status",
                                     changes={"status": [old, status]}, actor_id=actor_id))  # fmt: skip
        if status == "resolved" and survey:
            self.p.schedule_survey(self, at)

    def change_priority(self, at: datetime, actor_id: int | None, priority: str, reason: str) -> None:
        old = self.fields["priority"]
        if priority == old:
            return
        self.fields["priority"] = priority
        self.fields["priority_override_reason"] = reason
        self._emit(at, "priority", actor_id, {"priority": priority, "reason": reason, "from": old})
        self.audit.append(AuditDraft(at=at, action="ticket.priority",
                                     changes={"priority": [old, priority]}, actor_id=actor_id))  # fmt: skip
        policy_id = self.p.policy_for(self.fields, priority)
        if policy_id != self.policy_id:
            self.policy_id = policy_id
            self.fields["sla_policy_id"] = policy_id
            policy = self.p.world.policies.get(policy_id) if policy_id is not None else None
            self._emit(at, "policy", actor_id, {"policy": policy, "policy_id": policy_id})

    def agent_reply(self, at: datetime, agent_id: int, body: str) -> None:
        at = self.advance(at)
        self.take(at, agent_id)
        self.messages.append(MessageDraft(at=at, body=body, author_id=agent_id))
        self._emit(at, "agent_reply", agent_id, {}, message=len(self.messages) - 1)
        self.agent_replies += 1
        if self.status == "new":
            self.set_status(at, agent_id, "open")

    def customer_reply(self, at: datetime, body: str) -> bool:
        """A customer's message; it reopens a resolved ticket within the reopen window (returns
        whether it did)."""
        at = self.advance(at)
        contact, user_id = self.fields["_contact"], self.fields.get("requester_id")
        via = "web" if self.fields["channel"] == "portal" and user_id else "email"
        self.messages.append(MessageDraft(at=at, body=body, author_id=user_id if via == "web" else None,
                                          contact_id=contact.id, from_customer=True, via=via))  # fmt: skip
        self._emit(
            at, "customer_reply", user_id if via == "web" else None, {}, message=len(self.messages) - 1
        )
        self.customer_replies += 1
        resolved_at = self.fields.get("resolved_at")
        reopens = (
            self.status in DONE
            and resolved_at is not None
            and at - resolved_at <= timedelta(days=self.p.world.reopen_window_days)
        )
        if self.status == "pending" or reopens:
            self.set_status(at, user_id if via == "web" else None, "open")
        return reopens

    def take(self, at: datetime, agent_id: int | None) -> None:
        """An agent of the ticket's team who works an unassigned ticket takes it (assigns it to
        themself), as agents pick from a manual team's queue."""
        team = self.p.teams.get(self.fields["team_id"])
        if self.fields["assignee_id"] is None and team is not None and agent_id in team.agent_ids:
            self.assign(at, agent_id, team.id, agent_id)

    def note(self, at: datetime, agent_id: int, body: str) -> None:
        at = self.advance(at)
        self.messages.append(MessageDraft(at=at, body=body, author_id=agent_id, is_public=False))
        self._emit(at, "note", agent_id, {}, message=len(self.messages) - 1)

    def status_change(self, at: datetime, actor_id: int | None, status: str, reason: str = "") -> None:
        at = self.advance(at)
        if status == "resolved":
            self.take(at, actor_id)
        self.set_status(at, actor_id, status, reason)


# --- the planner ---------------------------------------------------------------------------------------


class _Planner:
    def __init__(self, world: HistoryWorld, rng: random.Random, now: datetime) -> None:
        self.world = world
        self.rng = rng
        self.now = now
        self.teams = {t.id: t for t in world.teams}
        self.levels = {level.id: level for level in world.levels}
        self.specs: dict[int, list[EscalationSpec]] = {}
        for level in sorted(world.levels, key=lambda x: (x.policy_id, x.target, x.offset_minutes, x.id)):
            if level.target in ALL_TARGETS:  # the on-site target escalates too
                self.specs.setdefault(level.policy_id, []).append(
                    EscalationSpec(level.id, level.target, level.offset_minutes)
                )
        self.contracts: dict[int, list[ContractInfo]] = {}
        for c in world.contracts:
            self.contracts.setdefault(c.account_id, []).append(c)
        self._compiled: dict[int, tuple[Any, Any]] = {}  # id(policy dict) -> (dict, SlaPolicy)
        self.cursor: dict[int, int] = {}  # round-robin position per team
        self.open_until: dict[int, list[datetime]] = {}  # per agent: heap of their open tickets' ends
        self.lives: list[_Life] = []
        self.surveys: list[SurveyPlan] = []
        self.links: list[LinkPlan] = []
        # Agent and team quality, a little different each: what surveys answer.
        self.agent_skill = {a: rng.gauss(0, 0.35) for t in world.teams for a in t.agent_ids}
        self.team_mood = {t.id: rng.gauss(0, 0.2) for t in world.teams}
        self.desk_agents = self.teams[world.desk_team_id].agent_ids or tuple(self.agent_skill)
        self.services = {s.code: s for s in world.services}
        self.codes = [c for c in SERVICE_MIX if c in self.services]
        self.code_weights = [SERVICE_MIX[c][0] for c in self.codes]
        self.default_priority = {s.code: s.default_priority for s in world.services}
        size = {a.id: math.exp(rng.gauss(0, 0.6)) for a in world.accounts}
        self.account_weights = [TIER_WEIGHT.get(a.tier, 1.0) * size[a.id] for a in world.accounts]

    def pause_statuses(self, policy_id: int | None) -> frozenset[str]:
        policy = self.world.policies.get(policy_id) if policy_id is not None else None
        return self.compiled(policy).pause_statuses if policy is not None else frozenset()

    def compiled(self, policy: Mapping[str, Any] | None) -> Any:
        if policy is None:
            return None
        key = id(policy)
        if key not in self._compiled:
            self._compiled[key] = (policy, parse_policy(policy))
        return self._compiled[key][1]

    # -- choices shared by tickets

    def policy_for(self, fields: Mapping[str, Any], priority: str) -> int | None:
        created_local = fields["created_at"].astimezone(BERLIN).date()
        granted = set()
        for c in self.contracts.get(fields["account_id"], ()):
            valid = c.valid_from <= created_local and (c.valid_to is None or created_local <= c.valid_to)
            if valid and (not c.service_ids or fields.get("service_id") in c.service_ids):
                granted.add(c.policy_id)
        facts = TicketFacts(
            account_id=fields["account_id"],
            tier=fields["_tier"],
            service_id=fields.get("service_id"),
            ticket_type=fields["type"],
            priority=priority,
            contract_policy_ids=frozenset(granted),
        )
        return choose_policy(self.world.policy_rules, facts)

    def choose_agent(self, team: TeamInfo, at: datetime) -> int:
        if team.strategy == "least_open":

            def load(agent: int) -> int:
                ends = self.open_until.setdefault(agent, [])
                while ends and ends[0] <= at:
                    heapq.heappop(ends)
                return len(ends)

            return min(team.agent_ids, key=lambda a: (load(a), a))
        position = self.cursor.get(team.id, -1) + 1
        self.cursor[team.id] = position
        return team.agent_ids[position % len(team.agent_ids)]

    def schedule_survey(self, life: _Life, resolved_at: datetime) -> None:
        if life.merged:
            return
        contact = life.fields["_contact"]
        w = self.world
        due = resolved_at + timedelta(minutes=w.survey_delay_minutes)
        self.surveys.append(
            SurveyPlan(
                ticket=life.index,
                resolved_at=resolved_at,
                account_id=life.fields["account_id"],
                requester_id=life.fields.get("requester_id"),
                email=contact.email,
                agent_id=life.fields["assignee_id"],
                team_id=life.fields["team_id"],
                service_id=life.fields.get("service_id"),
                due_at=due,
                expires_at=due + timedelta(days=w.survey_expiry_days),
                sent_at=None,
                answer=None,
            )
        )

    # -- one ticket

    def new_ticket(self, created: datetime, *, account: AccountInfo | None = None, service_code: str | None = None,
                   priority: str | None = None, channel: str | None = None) -> _Life:  # fmt: skip
        rng, w = self.rng, self.world
        if account is None:
            account = rng.choices(w.accounts, weights=self.account_weights)[0]
        if service_code is None:
            service_code = (
                "" if rng.random() < NO_SERVICE_SHARE else rng.choices(self.codes, self.code_weights)[0]
            )
        service = self.services.get(service_code)
        type_ = SERVICE_MIX.get(service_code, (0, "incident"))[1]
        local_hour = created.astimezone(BERLIN).hour
        if channel is None:
            weights = [
                wt * (2.5 if ch == "api" and (local_hour < 7 or local_hour >= 19) else 1)
                for ch, wt in CHANNELS
            ]
            channel = rng.choices([c for c, _ in CHANNELS], weights)[0]
            if service is None and channel in ("portal", "api"):
                channel = "email"
        contact = rng.choice(account.contacts)
        requester_id = contact.user_id if channel == "portal" or rng.random() < 0.5 else None
        if contact.user_id is None:
            requester_id = None
        impact, urgency = self._impact_urgency(service_code)
        matrix = priority_from_matrix(impact, urgency)
        override = ""
        if priority is not None and priority != matrix:
            override = "Agreed with the customer on the phone"
        elif priority is None:
            priority = matrix
            if channel == "phone" and rng.random() < 0.06:
                priority = (PRIORITY_UP if rng.random() < 0.65 else PRIORITY_DOWN)[matrix]
                if priority != matrix:
                    override = rng.choice(PRIORITY_REASONS_UP if priority < matrix else PRIORITY_REASONS_DOWN)
        team_id = service.team_id if service is not None and service.team_id else w.desk_team_id
        site_id = asset_id = None
        if account.sites and (service is None or service.category != "Customer care"):
            site_id, assets = rng.choice(account.sites)
            if assets and rng.random() < 0.5:
                asset_id = rng.choice(assets)
        subject = rng.choice(SUBJECTS.get(service_code) or SUBJECTS[""])
        staff_actor = rng.choice(self.desk_agents) if channel == "phone" else None
        fields: dict[str, Any] = {
            "account_id": account.id,
            "requester_id": requester_id,
            "contact_id": contact.id,
            "service_id": service.id if service else None,
            "type": type_,
            "channel": channel,
            "impact": impact,
            "urgency": urgency,
            "priority": priority,
            "priority_override_reason": override,
            "status": "new",
            "team_id": team_id,
            "assignee_id": None,
            "subject": subject,
            "description": f"{subject}. Reported via {channel}.",
            "site_id": site_id,
            "asset_id": asset_id,
            "created_at": created,
            "resolved_at": None,
            "closed_at": None,
            "first_contact_resolution": False,
            "_tier": account.tier,
            "_contact": contact,
            "_code": service_code,
        }
        policy_id = self.policy_for(fields, priority)
        fields["sla_policy_id"] = policy_id
        actor = requester_id if channel == "portal" else staff_actor
        life = _Life(self, len(self.lives), fields, actor, created, policy_id)
        self.lives.append(life)
        life.route(created, actor)
        life.tags = self._tags(service, account, created)
        return life

    def _impact_urgency(self, code: str) -> tuple[str, str]:
        default = self.default_priority.get(code, "P3")
        goal = int(default[1])
        combos = [(i, u) for i in LEVELS for u in LEVELS]
        weights = [
            (6, 1.6, 0.3, 0.05)[min(3, abs(int(priority_from_matrix(i, u)[1]) - goal))] for i, u in combos
        ]
        return self.rng.choices(combos, weights)[0]

    def _tags(self, service: ServiceInfo | None, account: AccountInfo, created: datetime) -> list[str]:
        rng = self.rng
        vocab = TAGS.get(service.category if service else "", TAGS[""])
        tags = set(rng.sample(vocab, k=min(len(vocab), rng.choices((0, 1, 2), (35, 45, 20))[0])))
        if account.tier == "gold" and rng.random() < 0.3:
            tags.add("vip")
        local = created.astimezone(BERLIN)
        if (local.hour < 7 or local.hour >= 19 or local.weekday() >= 5) and rng.random() < 0.5:
            tags.add("after-hours")
        return sorted(tags)

    def worker_for(self, life: _Life) -> int:
        """Who answers: the assignee, else an agent of the ticket's team (who then takes it), else
        a service desk agent."""
        if life.fields["assignee_id"] is not None:
            return life.fields["assignee_id"]
        team = self.teams.get(life.fields["team_id"])
        return self.rng.choice(team.agent_ids if team is not None and team.agent_ids else self.desk_agents)

    # -- delays

    def _late(self, base: float) -> bool:
        return self.rng.random() < base

    def first_reply_at(self, life: _Life) -> datetime:
        target = life.target_minutes("first_response")
        if self._late(0.10 if life.fields["team_id"] != self.world.desk_team_id else 0.07):
            share = self.rng.uniform(1.03, 2.4)
        else:
            share = 0.03 + self.rng.betavariate(1.4, 2.6) * 0.92
        if life.fields["channel"] == "phone" and self.rng.random() < 0.7:
            share = min(share, self.rng.uniform(0.0, 0.05))  # answered during the call
        return life.business_after(life.fields["created_at"], share * target)

    def next_reply_at(self, life: _Life, after: datetime) -> datetime:
        target = life.target_minutes("next_response")
        share = (
            self.rng.uniform(1.05, 2.0) if self._late(0.09) else 0.05 + self.rng.betavariate(1.5, 2.5) * 0.9
        )
        return life.business_after(after, share * target)

    def customer_delay(self, after: datetime) -> datetime:
        """When a customer answers: hours later, mostly moved into their working day."""
        at = after + timedelta(hours=min(120.0, math.exp(self.rng.gauss(math.log(3.0), 1.1))))
        local = at.astimezone(BERLIN)
        if self._working_hour(local) or self.rng.random() < 0.15:
            return at.replace(microsecond=0)
        day = local.date() if local.hour < 7 else local.date() + timedelta(days=1)
        while day.weekday() >= 5 or day.isoformat() in self.world.holidays:
            day += timedelta(days=1)
        morning = datetime.combine(day, time(7), BERLIN) + timedelta(minutes=self.rng.uniform(0, 600))
        return max(morning.astimezone(UTC), after + timedelta(minutes=5)).replace(microsecond=0)

    def _working_hour(self, local: datetime) -> bool:
        return (
            7 <= local.hour < 19
            and local.weekday() < 5
            and local.date().isoformat() not in self.world.holidays
        )

    def resolution_at(self, life: _Life, after: datetime) -> datetime:
        state = life.state()
        clock = state.targets.get("resolution")
        target = life.target_minutes("resolution")
        if clock is not None and clock.status in ("running", "warning") and clock.deadline is not None:
            if self._late(0.08):
                return life.business_after(max(after, clock.deadline), self.rng.uniform(0.05, 0.6) * target)
            remaining = max(0.0, (target * 60 - clock.elapsed_business_seconds) / 60)
            share = self.rng.betavariate(1.3, 2.2)
            return max(after, life.business_after(after, share * remaining * 0.9))
        return life.business_after(after, self.rng.uniform(10, 240))

    # -- a whole life

    def live(self, life: _Life, *, script: str = "") -> None:
        rng, now = self.rng, self.now
        fields = life.fields
        created = fields["created_at"]
        if fields["assignee_id"] is None:
            team = self.teams.get(fields["team_id"])
            # On a manual team the lead hands out about half the new tickets; the rest wait in the
            # unassigned queue until an agent answers one and takes it.
            if (
                team is not None
                and team.strategy == "manual"
                and team.lead_id is not None
                and rng.random() < 0.5
            ):
                at = created + timedelta(minutes=rng.uniform(2, 25))
                if at < now:
                    at = life.advance(at)
                    life.assign(
                        at, team.lead_id, team.id, rng.choice(team.agent_ids) if team.agent_ids else None
                    )
        agent = self.worker_for(life)
        if script == "unanswered":
            life.advance(now)
            return
        first = self.first_reply_at(life)
        if script == "answered":
            first = min(first, created + timedelta(minutes=rng.uniform(3, 12)))
        if first >= now:
            life.advance(now)
            return
        fcr = script == "" and rng.random() < 0.26
        life.agent_reply(first, agent, rng.choice(AGENT_FIRST if not fcr else AGENT_RESOLVE))
        t = life.last_at
        if fcr:
            t = first + timedelta(minutes=rng.uniform(0, 6))
            if t < now:
                life.status_change(t, agent, "resolved")
                self._after_resolution(life, t)
            else:
                life.advance(now)
            return
        if script == "answered":
            life.advance(now)
            return
        if rng.random() < 0.04:  # the priority was wrong
            at = first + timedelta(minutes=rng.uniform(1, 40))
            if at < now:
                at = life.advance(at)
                up = rng.random() < 0.6
                new = (PRIORITY_UP if up else PRIORITY_DOWN)[fields["priority"]]
                life.change_priority(
                    at, agent, new, rng.choice(PRIORITY_REASONS_UP if up else PRIORITY_REASONS_DOWN)
                )
        if rng.random() < 0.3:
            at = t + timedelta(minutes=rng.uniform(5, 180))
            if at < now:
                life.note(at, agent, rng.choice(NOTES))
        t = life.last_at
        rounds = rng.choices((0, 1, 2, 3), (25, 45, 20, 10))[0]
        for _ in range(rounds):
            agent = self.worker_for(life)
            pending = rng.random() < 0.65
            if pending:
                at = t + timedelta(seconds=rng.uniform(5, 90))
                if at >= now:
                    break
                life.agent_reply(at, agent, rng.choice(AGENT_ASK))
                life.status_change(at, agent, "pending")
                t = at
            reply = self.customer_delay(t)
            if reply >= now:
                break
            life.customer_reply(reply, rng.choice(CUSTOMER_REPLY))
            t = reply
            if rng.random() < 0.1:
                again = t + timedelta(minutes=rng.uniform(10, 120))
                if again >= now:
                    break
                life.customer_reply(again, rng.choice(CUSTOMER_REPLY))
                t = again
            answer = self.next_reply_at(life, reply)
            if answer >= now:
                break
            life.agent_reply(max(answer, t), self.worker_for(life), rng.choice(AGENT_NEXT))
            t = max(answer, t)
            if (
                fields["_code"].startswith(("hvac", "heating", "ups", "elevator", "heat-pump"))
                and rng.random() < 0.15
            ):
                hold = t + timedelta(minutes=rng.uniform(1, 30))
                back = hold + timedelta(hours=rng.uniform(20, 96))
                if hold >= now:
                    break
                life.status_change(hold, agent, "on_hold", "waiting for parts")
                if back >= now:
                    break
                life.status_change(back, agent, "open", "parts arrived")
                t = back
        else:
            self._resolve(life, t)
            return
        life.advance(now)

    def _resolve(self, life: _Life, after: datetime) -> None:
        rng, now = self.rng, self.now
        if life.status == "pending":
            return life.advance(now)  # still waiting for the customer
        at = self.resolution_at(life, after)
        if at >= now:
            return life.advance(now)
        agent = self.worker_for(life)
        life.agent_reply(at, agent, rng.choice(AGENT_RESOLVE))
        life.status_change(at, agent, "resolved")
        self._after_resolution(life, at)

    def _after_resolution(self, life: _Life, resolved: datetime) -> None:
        rng, now, w = self.rng, self.now, self.world
        self._busy_until(life, resolved)
        if not life.reopened and rng.random() < 0.04:
            back = self.customer_delay(resolved + timedelta(hours=rng.uniform(1, 72)))
            if back < now and back - resolved <= timedelta(days=w.reopen_window_days):
                life.customer_reply(back, rng.choice(CUSTOMER_REOPEN))
                answer = self.next_reply_at(life, back)
                if answer >= now:
                    return life.advance(now)
                life.agent_reply(answer, self.worker_for(life), rng.choice(AGENT_NEXT))
                return self._resolve(life, answer)
        close = resolved + timedelta(days=w.autoclose_days, seconds=rng.uniform(1, SWEEP_TICK_SECONDS))
        if close < now:
            close = life.advance(close)
            life.set_status(close, None, "closed", "auto-close")
            life.audit[-1].action = "ticket.autoclose"
        life.advance(now)

    def _busy_until(self, life: _Life, end: datetime) -> None:
        agent = life.fields["assignee_id"]
        if agent is not None:
            heapq.heappush(self.open_until.setdefault(agent, []), end)


def plan_history(world: HistoryWorld, *, seed: int, now: datetime, tickets: int = DEFAULT_TICKETS,
                 days: int = DEFAULT_DAYS) -> HistoryPlan:  # fmt: skip
    """Plan about `tickets` tickets created over the `days` before `now` (see the module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    rng = random.Random(f"{seed}:history")
    p = _Planner(world, rng, now)

    arrivals = plan_arrivals(rng, start=now - timedelta(days=days), end=now, tickets=tickets,
                             holidays=world.holidays)  # fmt: skip
    recent: dict[int, list[_Life]] = {}
    for created in arrivals:
        life = p.new_ticket(created)
        earlier = recent.setdefault(life.fields["account_id"], [])
        duplicate_of = next(
            (x for x in reversed(earlier[-5:]) if created - x.fields["created_at"] < timedelta(hours=6)
             and x.fields["_code"] == life.fields["_code"] and not x.merged
             and not any(r <= created + timedelta(hours=2) for r in x.resolutions)),
            None,
        )  # fmt: skip
        if duplicate_of is not None and rng.random() < 0.2:
            _merge(p, life, duplicate_of)
        else:
            p.live(life)
            if earlier and rng.random() < 0.006:
                _link(p, life, rng.choice(earlier[-10:]))
        earlier.append(life)
        if len(earlier) > 20:
            del earlier[:10]

    _live_backlog(p)
    _answer_surveys(p)
    drafts = [_draft(life) for life in p.lives]
    return HistoryPlan(tickets=drafts, surveys=p.surveys, links=p.links, triage_mails=_triage(p), now=now)


def _merge(p: _Planner, dup: _Life, into: _Life) -> None:
    """`dup` repeats `into` (same account and service, hours apart): an agent merges it."""
    rng = p.rng
    at = dup.fields["created_at"] + timedelta(minutes=rng.uniform(5, 90))
    if at >= p.now or any(r <= at for r in into.resolutions):
        p.live(dup)
        return
    agent = p.worker_for(dup)
    at = dup.advance(at)
    dup.merged = True
    dup.fields["merged_into_id"] = TicketRef(into.index)
    dup._emit(at, "merge", agent, {"into": TicketRef(into.index)})
    dup.audit.append(AuditDraft(at=at, action="ticket.merge", changes={"merged_into": [None, TicketRef(into.index)]},
                                actor_id=agent))  # fmt: skip
    dup.set_status(at, agent, "resolved", "merged", survey=False)
    dup.set_status(at, agent, "closed", "merged", survey=False)
    dup.advance(p.now)
    p.links.append(LinkPlan(dup.index, into.index, "duplicate", agent, at))
    # The surviving ticket's side: appended now, sorted into its timeline at the end.
    into.events.append(EventDraft(at=at, type="merge", data={"merged": TicketRef(dup.index)}, actor_id=agent))
    into.messages.append(MessageDraft(at=at, body=f"Merged duplicate “{dup.fields['subject']}” into this ticket.",
                                      author_id=agent, is_public=False))  # fmt: skip


def _link(p: _Planner, life: _Life, other: _Life) -> None:
    at = life.fields["created_at"] + timedelta(minutes=p.rng.uniform(10, 240))
    if at >= p.now or other.index == life.index:
        return
    agent = p.worker_for(life)
    p.links.append(LinkPlan(life.index, other.index, "related", agent, at))
    life.events.append(EventDraft(at=at, type="link", data={"kind": "related", "other": TicketRef(other.index),
                                                            "direction": "out"}, actor_id=agent))  # fmt: skip
    other.events.append(EventDraft(at=at, type="link", data={"kind": "related", "other": TicketRef(life.index),
                                                             "direction": "in"}, actor_id=agent))  # fmt: skip


def _live_backlog(p: _Planner) -> None:
    """A few gold (24/7) tickets placed so that, whatever the hour of the load, first responses and
    resolutions fall due within minutes of it and some are already breached."""
    gold = [a for a in p.world.accounts if a.tier == "gold"] or list(p.world.accounts)
    now = p.now
    # (service, priority, script, minutes before now it was created)
    crafted = (
        ("it-incident", "P2", "unanswered", 27),  # first response due in 3 minutes
        ("printer-repair", "P2", "unanswered", 22),  # due in 8 minutes, warning in 2
        ("it-incident", "P3", "unanswered", 50),  # due in 10 minutes, in warning
        ("hvac-repair", "P2", "answered", 468),  # resolution due in 12 minutes, in warning
        ("electrical-fault", "P1", "answered", 226),  # resolution due in 14 minutes
        ("server-outage", "P1", "unanswered", 55),  # first response breached 40 minutes ago
        ("heating-repair", "P2", "answered", 530),  # resolution breached 50 minutes ago
    )
    for i, (code, priority, script, minutes) in enumerate(crafted):
        account = gold[i % len(gold)]
        created = (now - timedelta(minutes=minutes)).replace(microsecond=0)
        life = p.new_ticket(created, account=account, service_code=code, priority=priority,
                            channel="phone" if priority == "P1" else "portal")  # fmt: skip
        p.live(life, script=script)


def _answer_surveys(p: _Planner) -> None:
    rng, now = p.rng, p.now
    lives = p.lives
    for survey in p.surveys:
        if survey.due_at > now:
            continue
        survey.sent_at = survey.due_at + timedelta(seconds=rng.uniform(1, SWEEP_TICK_SECONDS))
        if rng.random() > 0.34:
            continue
        answered = survey.sent_at + timedelta(hours=min(24 * 10, math.exp(rng.gauss(math.log(5), 1.2))))
        if answered >= now or answered >= survey.expires_at:
            continue
        life = lives[survey.ticket]
        mood = 4.15 + p.agent_skill.get(survey.agent_id, 0.0) + p.team_mood.get(survey.team_id, 0.0)
        if "resolution" in life.breaches:
            mood -= 0.9
        if "first_response" in life.breaches:
            mood -= 0.4
        if life.fields.get("first_contact_resolution"):
            mood += 0.3
        if life.reopened:
            mood -= 0.6
        csat = min(5, max(1, round(rng.gauss(mood, 0.8))))
        nps = min(10, max(0, round(rng.gauss(csat * 2.1 - 1.2, 1.3))))
        if rng.random() < 0.1:
            nps = None
        sentiment = "good" if csat >= 4 else "bad" if csat <= 2 else "mid"
        comment = rng.choice(SURVEY_COMMENTS[sentiment]) if rng.random() < 0.35 else ""
        survey.answer = {"csat": csat, "nps": nps, "comment": comment, "answered_at": answered}


def _triage(p: _Planner) -> list[dict[str, Any]]:
    mails = []
    for i, (sender, subject) in enumerate(TRIAGE_MAILS):
        received = (p.now - timedelta(minutes=20 + 95 * i + p.rng.uniform(0, 30))).replace(microsecond=0)
        mails.append({"mail_from": sender, "subject": subject, "received_at": received})
    return mails


def _draft(life: _Life) -> TicketDraft:
    fields = {k: v for k, v in life.fields.items() if not k.startswith("_")}
    order = sorted(range(len(life.events)), key=lambda i: (life.events[i].at, i))
    events = [life.events[i] for i in order]
    messages = life.messages
    m_order = sorted(range(len(messages)), key=lambda i: (messages[i].at, i))
    if m_order != list(range(len(messages))):
        position = {old: new for new, old in enumerate(m_order)}
        messages = [messages[i] for i in m_order]
        for e in events:
            if e.message is not None:
                e.message = position[e.message]
    return TicketDraft(fields=fields, events=events, messages=messages, tags=life.tags,
                       fired_escalations=life.fired, audit=life.audit)  # fmt: skip
