"""The deterministic demo organisation: a metropolitan service company in Berlin and its customers.

`load_demo(seed=...)` writes, through the services (so every row has its audit event), in one
transaction:

* three business calendars (office hours and extended hours with Berlin's public holidays for
  this year and next, and 24/7);
* the staff of the service company: an admin, a manager, a dispatcher, agents and technicians in
  five teams (some people in two teams, one lead per team);
* customer accounts with contacts, sites spread over Berlin's districts and their installed
  assets;
* the service catalog (about 18 services in five categories), SLA policies by tier (Gold 24/7,
  Silver and Bronze on office hours, a Standard fallback, a contract-only data centre policy) with
  escalation levels, and a contract for each gold and silver account valid for a year around today;
* one login per role (staff roles plus a customer admin and a requester at the first, gold,
  account), remembered in a `DemoLoad` row so `steward up` can print them again.

Determinism: everything is drawn from `random.Random` and `Faker("de_DE")` instances seeded from
the seed (one stream per section, so that e.g. the number of accounts does not change the staff),
never from global state. The same seed gives the same names, emails, addresses, coordinates and
serial numbers; `today` only moves dates that are relative to it (install dates, warranty ends,
the holiday years and contract years).

Planning (pure Python, no database) is separate from writing, so `demo_logins(seed)` can tell the
logins of a seed without touching the database.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from math import ceil
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

DEMO_DOMAIN = "steward-demo.example"
TIMEZONE = "Europe/Berlin"

# The metropolitan area the sites lie in (inclusive bounds).
LAT_RANGE = (52.38, 52.62)
LON_RANGE = (13.15, 13.65)

DEFAULT_ACCOUNTS = 150
DEFAULT_AGENTS = 8
DEFAULT_TECHNICIANS = 20
DEFAULT_HISTORY_TICKETS = 30_000
HISTORY_DAYS = 182  # six months of service-desk history before the load instant
DEMO_HOUR = clock_time(10, 30)  # the load instant of a demo loaded for a given `today` (tests)

# The team whose queue receives each service's tickets (the rest go to the service desk). Tickets
# about field work are the service desk's too: the field teams are technicians, who work the
# visits (work orders), not the desk's tickets.
SERVICE_TEAMS = {
    "it-incident": "IT Support", "server-outage": "IT Support", "it-request": "IT Support",
    "printer-repair": "IT Support",
    "complaint": "Key Accounts",
}  # fmt: skip
# How teams assign their new tickets (teams not listed: by hand, as agents pick).
TEAM_ROUTING = {"Service Desk": "manual", "IT Support": "least_open", "Key Accounts": "round_robin"}

LOGIN_ROLES = ("admin", "manager", "dispatcher", "agent", "technician", "customer_admin", "requester")

Progress = Callable[[str], None] | None


# --- Reference data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    name: str
    lat: float
    lon: float
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("Mitte", 52.5200, 13.4050, ("10115", "10117", "10119", "10178", "10179"),
             ("Friedrichstraße", "Chausseestraße", "Invalidenstraße", "Torstraße", "Rosenthaler Straße",
              "Alexanderstraße")),
    District("Charlottenburg", 52.5163, 13.3041,
             ("10585", "10587", "10589", "10623", "10625", "10627", "10629", "14057", "14059"),
             ("Kantstraße", "Kaiserdamm", "Otto-Suhr-Allee", "Bismarckstraße", "Wilmersdorfer Straße",
              "Kurfürstendamm")),
    District("Spandau", 52.5360, 13.2000, ("13581", "13583", "13585", "13587", "13589", "13591", "13597"),
             ("Carl-Schurz-Straße", "Klosterstraße", "Seegefelder Straße", "Falkenseer Chaussee",
              "Schönwalder Straße", "Neuendorfer Straße")),
    District("Neukölln", 52.4810, 13.4350,
             ("12043", "12045", "12047", "12049", "12051", "12053", "12055", "12057", "12059"),
             ("Karl-Marx-Straße", "Sonnenallee", "Hermannstraße", "Buschkrugallee", "Britzer Damm",
              "Weserstraße")),
    District("Marzahn", 52.5450, 13.5640, ("12679", "12681", "12685", "12687", "12689"),
             ("Märkische Allee", "Landsberger Allee", "Allee der Kosmonauten", "Raoul-Wallenberg-Straße",
              "Marzahner Promenade", "Blumberger Damm")),
    District("Friedrichshain", 52.5156, 13.4540, ("10243", "10245", "10247", "10249"),
             ("Frankfurter Allee", "Warschauer Straße", "Boxhagener Straße", "Revaler Straße",
              "Petersburger Straße", "Karl-Marx-Allee")),
    District("Kreuzberg", 52.4986, 13.4030, ("10961", "10963", "10965", "10967", "10969", "10997", "10999"),
             ("Oranienstraße", "Gneisenaustraße", "Mehringdamm", "Skalitzer Straße", "Köpenicker Straße",
              "Bergmannstraße")),
    District("Prenzlauer Berg", 52.5390, 13.4240, ("10405", "10407", "10409", "10435", "10437", "10439"),
             ("Schönhauser Allee", "Prenzlauer Allee", "Greifswalder Straße", "Danziger Straße",
              "Kastanienallee", "Kollwitzstraße")),
    District("Steglitz", 52.4570, 13.3210, ("12157", "12163", "12165", "12167", "12169"),
             ("Schloßstraße", "Albrechtstraße", "Birkbuschstraße", "Bergstraße", "Grunewaldstraße",
              "Siemensstraße")),
    District("Tempelhof", 52.4700, 13.3850, ("12099", "12101", "12103", "12105", "12109"),
             ("Tempelhofer Damm", "Alt-Tempelhof", "Ringbahnstraße", "Attilastraße",
              "Manfred-von-Richthofen-Straße", "Colditzstraße")),
    District("Köpenick", 52.4450, 13.5750, ("12555", "12557", "12559"),
             ("Bahnhofstraße", "Friedrichshagener Straße", "Wendenschloßstraße", "Müggelheimer Straße",
              "Grünauer Straße", "Lindenstraße")),
    District("Reinickendorf", 52.5780, 13.3300, ("13403", "13405", "13407", "13409", "13437", "13439"),
             ("Residenzstraße", "Scharnweberstraße", "Berliner Straße", "Flottenstraße",
              "Oranienburger Straße", "Holzhauser Straße")),
    District("Lichtenberg", 52.5150, 13.4990, ("10315", "10317", "10318", "10365", "10367", "10369"),
             ("Herzbergstraße", "Möllendorffstraße", "Siegfriedstraße", "Rhinstraße", "Weitlingstraße",
              "Josef-Orlopp-Straße")),
    District("Wedding", 52.5500, 13.3600, ("13347", "13349", "13351", "13353", "13357", "13359"),
             ("Müllerstraße", "Seestraße", "Badstraße", "Osloer Straße", "Reinickendorfer Straße",
              "Amrumer Straße")),
)  # fmt: skip

SITE_KINDS = ("Niederlassung", "Lager", "Filiale", "Büro", "Werkstatt", "Rechenzentrum", "Praxis")

SECTORS = (
    "Immobilien", "Hausverwaltung", "Logistik", "Kliniken", "Hotelbetriebe", "Einzelhandel", "Pflegedienste",
    "Wohnbau", "Druckerei", "Lebensmittel", "Kanzlei", "Medien", "Bildungswerk", "Gastronomie",
)  # fmt: skip

LEGAL_FORMS = (
    "gmbh", "ag", "kg", "kgaa", "ohg", "mbh", "co", "gbr", "e", "v", "g", "stiftung", "ug", "se", "eg",
)  # fmt: skip

ACCOUNT_NOTES = (
    "Framework agreement covers all Berlin sites; quarterly service review with facility management.",
    "Invoices must quote the customer's purchase order number.",
    "Prefers visits before 10:00; announce technicians by phone the day before.",
    "Escalations go to the head of facility management, not the front desk.",
    "Hospital operation: work in patient areas only with hygiene briefing.",
    "Annual maintenance window in August; avoid downtime in December.",
)

ACCESS_NOTES = (
    "Report to reception; photo ID required.",
    "Plant room in the basement; key from the caretaker.",
    "Delivery entrance in the courtyard, ring 'Technik'.",
    "Parking in the courtyard; gate code from the dispatcher.",
    "Roof access via stairwell B only, fall-arrest harness required.",
    "Security escort needed for the server room.",
    "Open Mon-Fri 07:00-18:00; out of hours via the security service.",
)

CONTACT_TITLES = (
    "Facility Manager", "Head of Facilities", "Office Manager", "Head of IT", "Building Services Engineer",
    "Purchasing", "Managing Director", "Caretaker", "Operations Manager", "Technical Director",
)  # fmt: skip

# (weight, kind, [(manufacturer, model)], serial prefix)
ASSET_CATALOG: tuple[tuple[int, str, tuple[tuple[str, str], ...], str], ...] = (
    (16, "HVAC unit", (("Daikin", "VRV 5 RXYSA-AV1"), ("Mitsubishi Electric", "City Multi PUHY-P250"),
                       ("Carrier", "WeatherMaker 50TC"), ("Trane", "Voyager TSC 120")), "AC"),
    (8, "Air handling unit", (("Systemair", "Geniox 14"), ("Trox", "X-CUBE 2.0"),
                              ("Wolf", "KG Top 6000")), "AH"),
    (12, "Boiler", (("Viessmann", "Vitocrossal 300 CR3B"), ("Buderus", "Logano plus KB372"),
                    ("Wolf", "MGK-2 630"), ("Vaillant", "ecoTEC plus VC 656")), "BO"),
    (6, "Chiller", (("Carrier", "AquaSnap 30RB-160"), ("Trane", "CGAM 070"),
                    ("Daikin", "EWAD-TZ 300")), "CH"),
    (9, "Heat pump", (("Viessmann", "Vitocal 250-A"), ("Stiebel Eltron", "WPL 25 A"),
                      ("Vaillant", "aroTHERM plus VWL 125")), "HP"),
    (8, "UPS", (("APC", "Smart-UPS SRT 10kVA"), ("Eaton", "9PX 11kVA"), ("Riello", "Sentinel Dual SDU 10000")),
     "UP"),
    (9, "Server", (("Dell", "PowerEdge R750"), ("HPE", "ProLiant DL380 Gen10 Plus"),
                   ("Lenovo", "ThinkSystem SR650 V2")), "SV"),
    (11, "Printer", (("Kyocera", "TASKalfa 4054ci"), ("Canon", "imageRUNNER ADVANCE C5535i"),
                     ("Ricoh", "IM C4500")), "PR"),
    (5, "Elevator", (("Schindler", "5500"), ("KONE", "MonoSpace 500"), ("TK Elevator", "evolution 200")), "EL"),
    (6, "Fire alarm panel", (("Siemens", "Cerberus PRO FC724"), ("Bosch", "AVENAR panel 8000")), "FA"),
    (6, "Network switch", (("Cisco", "Catalyst 9300-48P"), ("HPE Aruba", "CX 6300M")), "NW"),
    (4, "Access control", (("dormakaba", "exos 9300"), ("Salto", "ProAccess SPACE")), "AX"),
)  # fmt: skip

ASSET_NOTES = (
    "Annual F-gas leak check required.",
    "Quarterly filter change included in the service contract.",
    "Spare parts on long lead time; order early.",
    "Replaced control board after water damage.",
    "Runs 24/7; switch-over only with the customer's approval.",
)

ASSET_STATUSES = (("in_service", 85), ("in_repair", 6), ("out_of_service", 5), ("retired", 4))

TEAMS = (
    ("Service Desk", "First line: calls, portal and email; triage and follow-up.", "servicedesk", "extended"),
    ("HVAC Field", "Heating, ventilation, air conditioning and refrigeration in the field.", "hvac", "office"),
    ("Electrical Field", "Electrical installations, UPS, elevators and fire alarm systems.", "electrical",
     "office"),
    ("IT Support", "Servers, networks and printers, remote and on site; on call around the clock.", "it",
     "always"),
    ("Key Accounts", "Named contacts for the gold accounts: reviews, escalations, planning.", "keyaccounts",
     "office"),
)  # fmt: skip

OFFICE_HOURS = {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
EXTENDED_HOURS = {d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["08:00", "14:00"]]
}

# The service catalog: (code, name, category, default priority, field visit, required skills,
# standard minutes, portal visible, description).
SERVICE_CATALOG: tuple[tuple[str, str, str, str, bool, tuple[str, ...], int, bool, str], ...] = (
    ("hvac-repair", "HVAC breakdown repair", "HVAC & heating", "P2", True, ("hvac", "refrigeration"), 180, True,
     "Air conditioning, ventilation or refrigeration not working or not holding temperature."),
    ("heating-repair", "Heating and boiler repair", "HVAC & heating", "P2", True, ("heating", "gas"), 150, True,
     "No heat or no hot water; boiler fault codes, pressure loss, burner lockout."),
    ("heat-pump-diagnosis", "Heat pump fault diagnosis", "HVAC & heating", "P3", True,
     ("heat-pump", "refrigeration"), 120, True, "Heat pump in fault or running inefficiently."),
    ("refrigerant-leak-check", "Refrigerant leak check", "HVAC & heating", "P3", True,
     ("refrigeration", "f-gas"), 90, True, "Leak test under the F-gas regulation, with the logbook entry."),
    ("electrical-fault", "Electrical fault repair", "Electrical & building systems", "P2", True, ("electrical",),
     120, True, "Tripping breakers, dead circuits, faulty lighting or sockets."),
    ("ups-service", "UPS fault and battery replacement", "Electrical & building systems", "P2", True,
     ("electrical", "ups"), 120, True, "UPS alarms, failed self-test, battery end of life."),
    ("fire-alarm-fault", "Fire alarm panel fault", "Electrical & building systems", "P1", True,
     ("fire-safety", "electrical"), 120, True, "Panel in fault or false alarms; the building's safety depends on it."),
    ("elevator-breakdown", "Elevator breakdown", "Electrical & building systems", "P1", True, ("elevator",), 90,
     True, "Elevator out of service or passengers trapped (call the emergency line as well)."),
    ("it-incident", "IT incident (remote support)", "IT support", "P3", False, (), 30, True,
     "Something stopped working: login, email, application, workstation. Solved remotely where possible."),
    ("server-outage", "Server or network outage", "IT support", "P1", True, ("it-server", "networking"), 240, True,
     "A server, switch or site link is down and several people cannot work."),
    ("it-request", "IT service request", "IT support", "P4", False, (), 45, True,
     "New user, access rights, software installation, equipment order."),
    ("printer-repair", "Printer repair", "IT support", "P3", True, ("printers",), 60, True,
     "Paper jams, print quality, scanner or finisher faults."),
    ("pm-hvac", "HVAC preventive maintenance", "Preventive maintenance", "P4", True, ("hvac",), 240, True,
     "Scheduled filter change, coil cleaning and function check."),
    ("pm-electrical", "Electrical safety inspection (DGUV V3)", "Preventive maintenance", "P4", True,
     ("electrical",), 300, True, "Periodic inspection of fixed installations and portable equipment."),
    ("pm-fire-alarm", "Fire alarm annual inspection", "Preventive maintenance", "P4", True, ("fire-safety",), 180,
     True, "Annual inspection and detector test to DIN 14675."),
    ("complaint", "Complaint", "Customer care", "P3", False, (), 30, True,
     "Tell us what went wrong; a named person follows it up."),
    ("question", "General question", "Customer care", "P4", False, (), 15, True,
     "Questions about your contract, invoices or our services."),
    ("quality-audit", "Internal quality audit", "Customer care", "P4", True, ("quality",), 120, False,
     "Our own follow-up visit after a repair; not requested by customers."),
)  # fmt: skip

# SLA targets per priority in business minutes: (first response, next response, resolution, on site).
SLA_TARGETS = {
    "gold": {"P1": (15, 30, 240, 240), "P2": (30, 60, 480, 480), "P3": (60, 120, 1440, 1440),
             "P4": (240, 480, 4320, None)},
    "silver": {"P1": (30, 60, 480, 480), "P2": (60, 120, 960, 960), "P3": (240, 240, 2400, 2400),
               "P4": (480, 480, 4800, None)},
    "bronze": {"P1": (60, 120, 960, 960), "P2": (120, 240, 1440, 1440), "P3": (480, 480, 4800, None),
               "P4": (960, 960, 9600, None)},
    "standard": {"P1": (120, 240, 1440, 1440), "P2": (240, 480, 2880, None), "P3": (480, 960, 4800, None),
                 "P4": (960, 1920, 9600, None)},
    "datacentre": {"P1": (10, 20, 120, 120), "P2": (15, 30, 240, 240)},
}  # fmt: skip

# (key, name, order, calendar key, tiers, via contract, services by code, description)
SLA_POLICIES = (
    ("datacentre", "Data centre 24/7", 5, "always", (), True, ("server-outage", "ups-service"),
     "Server rooms under a data centre contract: outages of servers, networks and UPS around the clock."),
    ("gold", "Gold 24/7", 10, "always", ("gold",), False, (), "Gold accounts: around the clock, strictest targets."),
    ("silver", "Silver business hours", 20, "office", ("silver",), False, (),
     "Silver accounts: Berlin office hours."),
    ("bronze", "Bronze business hours", 30, "office", ("bronze",), False, (),
     "Bronze accounts: Berlin office hours, relaxed targets."),
    ("standard", "Standard", 1000, "office", (), False, (), "Everyone else: the fallback."),
)  # fmt: skip
DATACENTRE_CONTRACTS = 3  # the first gold accounts also hold a data centre contract


# --- The plan (pure) -----------------------------------------------------------------------------


@dataclass
class PersonPlan:
    full_name: str
    email: str
    phone: str
    roles: tuple[str, ...] = ()
    login_role: str = ""  # the role this person is the demo login for, if any
    job_title: str = ""


@dataclass
class SitePlan:
    name: str
    address: str
    postcode: str
    city: str
    latitude: Decimal
    longitude: Decimal
    access_notes: str
    assets: list[dict] = field(default_factory=list)


@dataclass
class AccountPlan:
    name: str
    tier: str
    contract_ref: str
    email_domain: str
    notes: str
    contacts: list[PersonPlan] = field(default_factory=list)  # the first is the primary contact
    sites: list[SitePlan] = field(default_factory=list)


@dataclass(frozen=True)
class DemoResult:
    seed: int
    logins: list[dict]
    counts: dict[str, int]
    seconds: float

    def summary(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in self.counts.items())


def _ascii_slug(text: str, sep: str = "-") -> str:
    text = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, text).strip(sep)


def _unique(base: str, taken: set[str], fmt: str = "{base}{n}") -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = fmt.format(base=base, n=n)
    taken.add(candidate)
    return candidate


def _faker(seed: int, stream: str) -> Faker:
    fake = Faker("de_DE")
    fake.seed_instance(f"{seed}:{stream}")
    return fake


def _rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"{seed}:{stream}")


def _first_name(fake: Faker) -> str:
    name = fake.first_name()
    while "." in name:  # abbreviations such as "Hans-J."
        name = fake.first_name()
    return name


def _last_name(fake: Faker) -> str:
    name = fake.last_name()
    while not name.replace("-", "").isalpha():  # "Koch II", "van der Dussen"
        name = fake.last_name()
    return name


def _person(fake: Faker, rng: random.Random, domain: str, taken: set[str], *, mobile: bool) -> PersonPlan:
    first, last = _first_name(fake), _last_name(fake)
    local = _unique(f"{_ascii_slug(first)}.{_ascii_slug(last)}", taken)
    if mobile:
        phone = f"+49 1{rng.choice(('51', '52', '57', '60', '70', '76'))} {rng.randint(1000000, 99999999)}"
    else:
        phone = f"+49 30 {rng.randint(2000000, 99999999)}"
    return PersonPlan(full_name=f"{first} {last}", email=f"{local}@{domain}", phone=phone)


def password_for(role: str, seed: int) -> str:
    """The demo password of a login: deterministic for the seed, at least 10 characters."""
    password = f"{role.replace('_', '-')}-demo-{seed}"
    return password + "x" * max(0, 10 - len(password))


def plan_staff(seed: int, *, agents: int = DEFAULT_AGENTS, technicians: int = DEFAULT_TECHNICIANS) -> dict:
    """The staff: {"admin", "manager", "dispatcher": PersonPlan, "agents", "technicians": [PersonPlan]}.

    The login holders (admin, manager, dispatcher, first agent, first technician) are drawn first,
    so they do not depend on the team sizes.
    """
    if agents < 1 or technicians < 1:
        raise ValueError("the demo needs at least one agent and one technician")
    fake, rng, taken = _faker(seed, "staff"), _rng(seed, "staff"), set()

    def person(role: str, login: bool) -> PersonPlan:
        p = _person(fake, rng, DEMO_DOMAIN, taken, mobile=role == "technician")
        p.roles = (role,)
        p.login_role = role if login else ""
        return p

    admin, manager, dispatcher = (person(r, True) for r in ("admin", "manager", "dispatcher"))
    first_agent, first_technician = person("agent", True), person("technician", True)
    more_agents = [person("agent", False) for _ in range(agents - 1)]
    more_technicians = [person("technician", False) for _ in range(technicians - 1)]
    return {
        "admin": admin,
        "manager": manager,
        "dispatcher": dispatcher,
        "agents": [first_agent, *more_agents],
        "technicians": [first_technician, *more_technicians],
    }


def plan_teams(staff: dict) -> list[tuple[tuple[str, str, str, str], list[PersonPlan], PersonPlan]]:
    """(team definition, members, lead) for each team; some people are in two teams."""
    a, t = staff["agents"], staff["technicians"]
    desk_n = max(1, ceil(len(a) * 0.6))
    hvac_n = max(1, ceil(len(t) * 0.5))
    elec_end = max(hvac_n, ceil(len(t) * 5 / 6))
    desk = a[:desk_n]
    it = a[desk_n:] + t[elec_end:] or [a[-1]]
    hvac = t[:hvac_n]
    electrical = t[hvac_n:elec_end] + hvac[1:3] or [t[-1]]
    key_accounts = desk[1:3] + a[desk_n : desk_n + 1] or [a[0]]
    members = [desk, hvac, electrical, it, key_accounts]
    return [(team, people, people[0]) for team, people in zip(TEAMS, members, strict=True)]


def _tiers(rng: random.Random, n: int) -> list[str]:
    gold = max(1, round(n * 0.15))
    silver = round(n * 0.30)
    bronze = round(n * 0.35)
    standard = max(0, n - gold - silver - bronze)
    tiers = ["gold"] * gold + ["silver"] * silver + ["bronze"] * bronze + ["standard"] * standard
    tiers = tiers[:n]
    rng.shuffle(tiers)
    first_gold = tiers.index("gold")
    tiers[0], tiers[first_gold] = tiers[first_gold], tiers[0]  # the customer logins' account is gold
    return tiers


def _company_name(fake: Faker, rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.45:
        return f"{_last_name(fake)} {fake.company_suffix()}"
    if shape < 0.7:
        return f"{_last_name(fake)} & {_last_name(fake)} {fake.company_suffix()}"
    return f"{_last_name(fake)} {rng.choice(SECTORS)} {rng.choice(('GmbH', 'GmbH', 'AG', 'KG', 'GmbH & Co. KG'))}"


def _domain_for(name: str, taken: set[str]) -> str:
    words = [w for w in _ascii_slug(name).split("-") if w and w not in LEGAL_FORMS]
    return _unique("-".join(words[:2]) or "kunde", taken, "{base}-{n}") + ".example"


def _coordinate(rng: random.Random, centre: float, spread: float, bounds: tuple[float, float]) -> Decimal:
    value = rng.gauss(centre, spread)
    value = min(max(value, bounds[0] + 0.002), bounds[1] - 0.002)
    return Decimal(f"{value:.6f}")


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def plan_accounts(seed: int, *, accounts: int = DEFAULT_ACCOUNTS, today: date) -> list[AccountPlan]:
    """The customer accounts with their contacts, sites and assets. Only dates depend on `today`."""
    if accounts < 1:
        raise ValueError("the demo needs at least one customer account")
    names_fake, names_rng = _faker(seed, "accounts"), _rng(seed, "accounts")
    people_fake, people_rng = _faker(seed, "contacts"), _rng(seed, "contacts")
    site_rng, asset_rng = _rng(seed, "sites"), _rng(seed, "assets")
    tiers = _tiers(_rng(seed, "tiers"), accounts)

    names: set[str] = set()
    domains: set[str] = set()
    serials: set[tuple[str, str]] = set()
    contract_no = 0
    plans: list[AccountPlan] = []
    for index in range(accounts):
        name = _company_name(names_fake, names_rng)
        while name in names:
            name = _company_name(names_fake, names_rng)
        names.add(name)
        domain = _domain_for(name, domains)
        tier = tiers[index]
        years_back = names_rng.randint(0, 5)
        note = names_rng.choice(ACCOUNT_NOTES) if names_rng.random() < 0.12 else ""
        contract_ref = ""
        if tier != "standard":
            contract_no += 1
            contract_ref = f"SC-{today.year - years_back}-{contract_no:04d}"
        plan = AccountPlan(name=name, tier=tier, contract_ref=contract_ref, email_domain=domain, notes=note)

        # Contacts: 1-3, the first is primary. The first account's two customer logins come first.
        taken_locals: set[str] = set()
        n_contacts = people_rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
        if index == 0:
            for role, title in (("customer_admin", "Head of Facilities"), ("requester", "Office Manager")):
                p = _person(people_fake, people_rng, domain, taken_locals, mobile=False)
                p.login_role, p.job_title = role, title
                plan.contacts.append(p)
            n_contacts = max(0, n_contacts - 2)
        for _ in range(n_contacts):
            p = _person(people_fake, people_rng, domain, taken_locals, mobile=people_rng.random() < 0.3)
            p.job_title = people_rng.choice(CONTACT_TITLES)
            plan.contacts.append(p)

        # Sites: 1-4 (about 2 on average) around district centres; the first is the head office.
        home = site_rng.choice(DISTRICTS)
        n_sites = site_rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
        site_names: set[str] = set()
        for s in range(n_sites):
            district = home if s == 0 else site_rng.choice(DISTRICTS)
            kind = "Zentrale" if s == 0 else site_rng.choice(SITE_KINDS)
            site_name = _unique(f"{kind} {district.name}", site_names, "{base} {n}")
            number = f"{site_rng.randint(1, 180)}{site_rng.choice(('', '', '', '', 'a', 'b'))}"
            site = SitePlan(
                name=site_name,
                address=f"{site_rng.choice(district.streets)} {number}",
                postcode=site_rng.choice(district.postcodes),
                city=f"Berlin-{district.name}",
                latitude=_coordinate(site_rng, district.lat, 0.012, LAT_RANGE),
                longitude=_coordinate(site_rng, district.lon, 0.018, LON_RANGE),
                access_notes=site_rng.choice(ACCESS_NOTES) if site_rng.random() < 0.25 else "",
            )
            plan.sites.append(site)

            # Assets: 0-4 per site (about 2 on average).
            n_assets = asset_rng.choices((0, 1, 2, 3, 4), weights=(12, 28, 30, 18, 12))[0]
            for _ in range(n_assets):
                _, kind_name, models, prefix = asset_rng.choices(
                    ASSET_CATALOG, weights=[c[0] for c in ASSET_CATALOG]
                )[0]
                manufacturer, model = asset_rng.choice(models)
                serial = f"{prefix}{asset_rng.randint(10, 99)}-{asset_rng.randint(0, 9999999):07d}"
                while (manufacturer, serial) in serials:
                    serial = f"{prefix}{asset_rng.randint(10, 99)}-{asset_rng.randint(0, 9999999):07d}"
                serials.add((manufacturer, serial))
                age_days = asset_rng.randint(30, 12 * 365)
                warranty_years = asset_rng.randint(2, 5)
                status = asset_rng.choices(
                    [s for s, _ in ASSET_STATUSES], weights=[w for _, w in ASSET_STATUSES]
                )[0]
                note = asset_rng.choice(ASSET_NOTES) if asset_rng.random() < 0.08 else ""
                install = today - timedelta(days=age_days)
                site.assets.append(
                    {
                        "model": f"{kind_name} {model}",
                        "manufacturer": manufacturer,
                        "serial_number": serial,
                        "install_date": install,
                        "warranty_end": _add_years(install, warranty_years),
                        "status": status,
                        "notes": note,
                    }
                )
        plans.append(plan)
    return plans


def demo_logins(seed: int) -> list[dict]:
    """[{role, email, password}] of the demo logins for this seed, in LOGIN_ROLES order."""
    staff = plan_staff(seed)
    first_account = plan_accounts(seed, accounts=1, today=date(2000, 1, 1))[0]
    by_role = {p.login_role: p for p in _staff_people(staff) if p.login_role}
    by_role |= {p.login_role: p for p in first_account.contacts if p.login_role}
    return [
        {"role": role, "email": by_role[role].email, "password": password_for(role, seed)}
        for role in LOGIN_ROLES
    ]


def _staff_people(staff: dict) -> list[PersonPlan]:
    return [staff["admin"], staff["manager"], staff["dispatcher"], *staff["agents"], *staff["technicians"]]


def plan_contracts(seed: int, plans: Sequence[AccountPlan], *, today: date) -> list[dict]:
    """The service contracts: one per gold and silver account naming its tier's policy, valid for a
    year that includes `today` (renewal dates spread over the year); the first gold accounts also
    hold a data centre contract. [{account (index), policy (key), reference, valid_from, valid_to,
    services (codes; empty = all)}]."""
    rng = _rng(seed, "contracts")
    contracts: list[dict] = []
    datacentre = 0
    for index, plan in enumerate(plans):
        if plan.tier not in ("gold", "silver"):
            continue
        valid_from = today - timedelta(days=rng.randint(0, 330))
        valid_to = _add_years(valid_from, 1) - timedelta(days=1)
        reference = plan.contract_ref or f"SC-{valid_from.year}-X{index:04d}"
        contracts.append({"account": index, "policy": plan.tier, "reference": reference,
                          "valid_from": valid_from, "valid_to": valid_to, "services": ()})  # fmt: skip
        if plan.tier == "gold" and datacentre < DATACENTRE_CONTRACTS:
            datacentre += 1
            contracts.append({"account": index, "policy": "datacentre", "reference": f"{reference}-DC",
                              "valid_from": valid_from, "valid_to": valid_to,
                              "services": ("server-outage", "ups-service")})  # fmt: skip
    return contracts


def _escalations(key: str, teams: dict, leads: dict, people: dict) -> list[dict]:
    """Escalation levels per policy: warn the desk lead before a resolution deadline, act after it."""
    desk, keyaccounts = teams["Service Desk"].pk, teams["Key Accounts"].pk
    desk_lead = leads["Service Desk"].pk
    before = {
        "target": "resolution",
        "offset_minutes": -30,
        "actions": [{"type": "notify_users", "user_ids": [desk_lead]}],
    }
    if key in ("gold", "datacentre"):
        return [
            {"target": "first_response", "offset_minutes": -5, "actions": [{"type": "notify_team", "team_id": desk}]},
            before,
            {"target": "resolution", "offset_minutes": 0, "actions": [
                {"type": "reassign_team", "team_id": keyaccounts},
                {"type": "notify_users", "user_ids": [people["manager"].pk]}]},
            {"target": "onsite", "offset_minutes": -15,
             "actions": [{"type": "notify_users", "user_ids": [people["dispatcher"].pk]}]},
        ]  # fmt: skip
    if key == "silver":
        return [before, {"target": "resolution", "offset_minutes": 0,
                         "actions": [{"type": "raise_priority"}, {"type": "notify_team", "team_id": desk}]}]  # fmt: skip
    if key == "bronze":
        return [
            before,
            {"target": "resolution", "offset_minutes": 60, "actions": [{"type": "raise_priority"}]},
        ]
    return [
        {"target": "resolution", "offset_minutes": 0, "actions": [{"type": "notify_team", "team_id": desk}]}
    ]


def _load_catalog(*, admin, calendars: dict, teams: dict, leads: dict, people: dict, accounts: list,
                  contracts: list[dict], counts: dict) -> None:  # fmt: skip
    """The service catalog, the SLA policies and the contracts, through the catalog's services."""
    from steward.catalog import services as catalog_services

    by_code = {}
    for code, name, category, priority, visit, skills, minutes, visible, description in SERVICE_CATALOG:
        by_code[code] = catalog_services.service_create(
            actor=admin, actor_label="demo", code=code, name=name, category=category, default_priority=priority,
            needs_field_visit=visit, required_skills=list(skills), standard_duration_minutes=minutes,
            portal_visible=visible, description=description,
        )  # fmt: skip
        counts["services"] += 1
    policies = {}
    for key, name, order, calendar_key, tiers, via_contract, codes, description in SLA_POLICIES:
        targets = [
            {"priority": p, "first_response_minutes": fr, "next_response_minutes": nr, "resolution_minutes": res,
             "onsite_minutes": onsite}
            for p, (fr, nr, res, onsite) in SLA_TARGETS[key].items()
        ]  # fmt: skip
        policies[key] = catalog_services.sla_policy_create(
            actor=admin, actor_label="demo", name=name, order=order, description=description,
            calendar=calendars[calendar_key], pause_statuses=["pending", "on_hold"], warning_percent=80,
            tiers=list(tiers), via_contract=via_contract, services=[by_code[c] for c in codes],
            targets=targets, escalations=_escalations(key, teams, leads, people),
        )  # fmt: skip
        counts["sla_policies"] += 1
    for c in contracts:
        catalog_services.contract_create(
            actor=admin, actor_label="demo", account=accounts[c["account"]], policy=policies[c["policy"]],
            services=[by_code[code] for code in c["services"]], reference=c["reference"],
            valid_from=c["valid_from"], valid_to=c["valid_to"],
        )  # fmt: skip
        counts["contracts"] += 1


def holiday_dates(years: Sequence[int]) -> list[str]:
    """Berlin's public holidays in those years, as ISO dates."""
    import holidays

    return sorted(d.isoformat() for d in holidays.country_holidays("DE", subdiv="BE", years=list(years)))


# --- Writing -------------------------------------------------------------------------------------


def load_demo(
    *,
    seed: int,
    today: date | None = None,
    progress: Progress = None,
    accounts: int = DEFAULT_ACCOUNTS,
    agents: int = DEFAULT_AGENTS,
    technicians: int = DEFAULT_TECHNICIANS,
    history: int = DEFAULT_HISTORY_TICKETS,
    dispatch_seconds: int = 5,
) -> DemoResult:
    """Create the demo organisation for `seed` in one transaction, through the services, and about
    `history` tickets of service-desk history (planned by `demo.history`, written by the desk's
    bulk builder) up to the load instant: now, or 10:30 in Berlin on `today` when it is given."""
    from steward.accounts import services as accounts_services
    from steward.core import services as core_services
    from steward.customers import services as customer_services
    from steward.demo.models import DemoLoad

    started = time.monotonic()
    if today is None:
        now = timezone.now()
        today = timezone.localdate(now)
    else:
        now = datetime.combine(today, DEMO_HOUR, ZoneInfo(TIMEZONE))
    say = progress or (lambda message: None)
    staff = plan_staff(seed, agents=agents, technicians=technicians)
    plans = plan_accounts(seed, accounts=accounts, today=today)
    counts = dict.fromkeys(
        ("calendars", "users", "teams", "accounts", "contacts", "sites", "assets", "services", "sla_policies",
         "contracts", "tickets", "open_tickets", "surveys", "survey_responses", "technicians", "work_orders",
         "open_work_orders", "maintenance_plans"),
        0,
    )  # fmt: skip
    contracts = plan_contracts(seed, plans, today=today)
    logins: dict[str, dict] = {}

    def user(p: PersonPlan, *, actor, **extra):
        password = password_for(p.login_role, seed) if p.login_role else None
        u = accounts_services.user_create(
            actor=actor,
            email=p.email,
            full_name=p.full_name,
            phone=p.phone,
            password=password,
            actor_label="demo",
            check_password=False,
            send_welcome_mail=False,
            **extra,
        )
        counts["users"] += 1
        if p.login_role:
            logins[p.login_role] = {"role": p.login_role, "email": u.email, "password": password}
        return u

    with transaction.atomic():
        admin = user(staff["admin"], actor=None, roles=staff["admin"].roles)

        # From the year the history starts in to next year: the clocks of old tickets need them too.
        years = (min(today.year, (today - timedelta(days=HISTORY_DAYS)).year), today.year + 1)
        holidays_ = holiday_dates(range(years[0], years[1] + 1))
        calendars = {}
        for key, name, description, spec in (
            ("office", "Berlin office hours",
             f"Mon-Fri 08:00-12:00 and 13:00-17:00, Berlin public holidays {years[0]}-{years[1]}.",
             {"timezone": TIMEZONE, "hours": OFFICE_HOURS, "holidays": holidays_}),
            ("extended", "Berlin extended hours",
             f"Mon-Fri 07:00-19:00, Sat 08:00-14:00, Berlin public holidays {years[0]}-{years[1]}.",
             {"timezone": TIMEZONE, "hours": EXTENDED_HOURS, "holidays": holidays_}),
            ("always", "24/7", "Around the clock, no holidays.",
             {"timezone": TIMEZONE, "always": True, "hours": {}}),
        ):  # fmt: skip
            calendars[key] = core_services.calendar_create(
                actor=admin, name=name, description=description, spec=spec
            )
            counts["calendars"] += 1
        say(f"calendars: {counts['calendars']} (Berlin holidays {years[0]}-{years[1]})")

        users_by_email = {admin.email: admin}
        for p in _staff_people(staff)[1:]:
            users_by_email[p.email] = user(p, actor=admin, roles=p.roles)
        teams, leads = {}, {}
        for (name, description, mailbox, calendar_key), members, lead in plan_teams(staff):
            leads[name] = users_by_email[lead.email]
            teams[name] = accounts_services.team_create(
                actor=admin,
                name=name,
                description=description,
                email=f"{mailbox}@{DEMO_DOMAIN}",
                calendar=calendars[calendar_key],
                members=[users_by_email[m.email] for m in members],
                leads=[users_by_email[lead.email]],
            )
            counts["teams"] += 1
        say(f"staff: {counts['users']} users in {counts['teams']} teams")

        made_accounts = []
        for index, plan in enumerate(plans):
            account = customer_services.account_create(
                actor=admin,
                actor_label="demo",
                name=plan.name,
                tier=plan.tier,
                contract_ref=plan.contract_ref,
                email_domain=plan.email_domain,
                notes=plan.notes,
            )
            counts["accounts"] += 1
            made_accounts.append(account)
            for i, p in enumerate(plan.contacts):
                contact = customer_services.contact_create(
                    actor=admin,
                    account=account,
                    full_name=p.full_name,
                    email=p.email,
                    phone=p.phone,
                    job_title=p.job_title,
                    is_primary=i == 0,
                )
                counts["contacts"] += 1
                if p.login_role:
                    login_user = user(p, actor=admin, customer_account=account, customer_role=p.login_role)
                    customer_services.contact_link_user(actor=admin, contact=contact, user=login_user)
            for s in plan.sites:
                site = customer_services.site_create(
                    actor=admin,
                    account=account,
                    actor_label="demo",
                    name=s.name,
                    address=s.address,
                    postcode=s.postcode,
                    city=s.city,
                    country="DE",
                    latitude=s.latitude,
                    longitude=s.longitude,
                    timezone=TIMEZONE,
                    access_notes=s.access_notes,
                )
                counts["sites"] += 1
                for a in s.assets:
                    customer_services.asset_create(
                        actor=admin, account=account, actor_label="demo", site=site, **a
                    )
                    counts["assets"] += 1
            if (index + 1) % 50 == 0 or index + 1 == len(plans):
                say(
                    f"customers: {index + 1}/{len(plans)} accounts, {counts['sites']} sites, "
                    f"{counts['assets']} assets"
                )

        people = {
            "manager": users_by_email[staff["manager"].email],
            "dispatcher": users_by_email[staff["dispatcher"].email],
        }
        _load_catalog(
            admin=admin, calendars=calendars, teams=teams, leads=leads, people=people, accounts=made_accounts,
            contracts=contracts, counts=counts,
        )  # fmt: skip
        say(f"catalog: {counts['services']} services, {counts['sla_policies']} SLA policies, "
            f"{counts['contracts']} contracts")  # fmt: skip

        _desk_setup(admin=admin, teams=teams)
        if history > 0:
            _load_history(seed=seed, now=now, tickets=history, admin=admin, teams=teams,
                          agent_login=logins["agent"]["email"], counts=counts, say=say)  # fmt: skip

        from steward.demo.field import load_field

        load_field(seed=seed, now=now, admin=admin, teams=teams, counts=counts, say=say,
                   dispatch_seconds=dispatch_seconds)  # fmt: skip
        from steward.demo.roster import load_roster

        load_roster(now=now, admin=admin, teams=teams, counts=counts, say=say)

        ordered = [logins[r] for r in LOGIN_ROLES]
        DemoLoad.objects.create(seed=seed, logins=ordered)
        # The history was written in bulk, past the services: every KPI summary starts over.
        from steward.core.services import history_changed

        history_changed(since=None)

    return DemoResult(seed=seed, logins=ordered, counts=counts, seconds=time.monotonic() - started)


def _desk_setup(*, admin, teams: dict) -> None:
    """Each service's team and the teams' routing (what `desk` reads when tickets arrive)."""
    from steward.catalog import services as catalog_services
    from steward.catalog.models import Service
    from steward.desk import services as desk_services

    for service in Service.objects.order_by("id"):
        team = teams.get(SERVICE_TEAMS.get(service.code, "Service Desk"))
        catalog_services.service_update(actor=admin, service=service, team=team)
    for name, strategy in TEAM_ROUTING.items():
        desk_services.team_routing_set(actor=admin, team=teams[name], strategy=strategy)


def _history_world(*, teams: dict):
    """What the history planner draws from, read back from what the loader wrote."""
    from steward.accounts.models import TeamMembership
    from steward.catalog.models import Contract, EscalationLevel, Service, SlaPolicy
    from steward.catalog.selectors import policy_as_replay_dict, policy_rule
    from steward.customers.models import Contact, CustomerAccount, Site
    from steward.demo import history as h
    from steward.desk.models import TeamRouting

    contacts: dict[int, list] = {}
    for c in Contact.objects.order_by("id"):
        contacts.setdefault(c.account_id, []).append(h.ContactInfo(c.id, c.email, c.user_id))
    sites: dict[int, list] = {}
    for site in Site.objects.prefetch_related("assets").order_by("id"):
        assets = tuple(sorted(a.id for a in site.assets.all()))
        sites.setdefault(site.account_id, []).append((site.id, assets))
    accounts = [
        h.AccountInfo(a.id, a.tier, tuple(contacts.get(a.id, ())), tuple(sites.get(a.id, ())))
        for a in CustomerAccount.objects.order_by("id")
        if contacts.get(a.id)
    ]
    services = [
        h.ServiceInfo(s.id, s.code, s.category, s.team_id, s.default_priority)
        for s in Service.objects.filter(is_active=True).order_by("id")
    ]
    routing = dict(TeamRouting.objects.values_list("team_id", "strategy"))
    infos = []
    for team in sorted(teams.values(), key=lambda t: t.pk):
        members = list(TeamMembership.objects.filter(team=team).select_related("user").order_by("user_id"))
        agents = tuple(m.user_id for m in members if "agent" in m.user.roles and m.user.is_active)
        lead = next((m.user_id for m in members if m.is_lead), None)
        infos.append(h.TeamInfo(team.pk, team.name, agents, len(members), bool(team.email), lead,
                                routing.get(team.pk, "manual")))  # fmt: skip
    policies = list(SlaPolicy.objects.filter(is_active=True).prefetch_related(
        "customer_accounts", "services", "targets").select_related("calendar").order_by("order"))  # fmt: skip
    contracts = [
        h.ContractInfo(
            c.account_id, c.policy_id, c.valid_from, c.valid_to, frozenset(s.pk for s in c.services.all())
        )
        for c in Contract.objects.prefetch_related("services").order_by("id")
    ]
    levels = [
        h.LevelInfo(x.id, x.policy_id, x.target, x.offset_minutes, tuple(x.actions))
        for x in EscalationLevel.objects.order_by("id")
    ]
    office = next(p for p in policies if p.calendar is not None and p.calendar.spec.get("holidays"))
    return h.HistoryWorld(
        accounts=accounts, services=services, teams=infos, desk_team_id=teams["Service Desk"].pk,
        policy_rules=[policy_rule(p) for p in policies],
        policies={p.pk: policy_as_replay_dict(p) for p in policies},
        levels=levels, contracts=contracts, holidays=frozenset(office.calendar.spec["holidays"]),
        autoclose_days=settings.STEWARD_AUTOCLOSE_DAYS, reopen_window_days=settings.STEWARD_REOPEN_WINDOW_DAYS,
        survey_delay_minutes=settings.STEWARD_SURVEY_DELAY_MINUTES,
        survey_expiry_days=settings.STEWARD_SURVEY_EXPIRY_DAYS,
    )  # fmt: skip


def _load_history(*, seed: int, now: datetime, tickets: int, admin, teams: dict, agent_login: str,
                  counts: dict, say: Callable[[str], None]) -> None:  # fmt: skip
    """Six months of service-desk history and the live backlog, written in bulk."""
    import hashlib

    from steward.accounts.models import User
    from steward.demo.history import plan_history
    from steward.desk import services as desk_services
    from steward.desk.bulk import build_tickets
    from steward.desk.models import InboundMail, InboundStatus, TicketLink
    from steward.quality.models import Survey, SurveyResponse

    t0 = time.monotonic()
    plan = plan_history(_history_world(teams=teams), seed=seed, now=now, tickets=tickets, days=HISTORY_DAYS)
    planned = plan.counts()
    say(f"history: planned {planned['tickets']} tickets ({planned['open_tickets']} open now), "
        f"{planned['events']} events, {planned['messages']} messages in {time.monotonic() - t0:.1f}s")  # fmt: skip

    def progress(done: int, total: int) -> None:
        if done == total or done % 5000 < 1000:
            say(f"history: written {done}/{total} tickets")

    ids = build_tickets(plan.tickets, now=now, actor_label="demo", progress=progress)

    seen: set[frozenset[int]] = set()
    links = []
    for link in plan.links:
        pair = frozenset((ids[link.from_ticket], ids[link.to_ticket]))
        if len(pair) == 2 and pair not in seen:
            seen.add(pair)
            links.append(TicketLink(from_ticket_id=ids[link.from_ticket], to_ticket_id=ids[link.to_ticket],
                                    kind=link.kind, created_by_id=link.created_by, created_at=link.created_at))  # fmt: skip
    TicketLink.objects.bulk_create(links)

    surveys = Survey.objects.bulk_create(
        Survey(ticket_id=ids[s.ticket], resolved_at=s.resolved_at, account_id=s.account_id,
               requester_id=s.requester_id, email=s.email, agent_id=s.agent_id, team_id=s.team_id,
               service_id=s.service_id, created_at=s.resolved_at, due_at=s.due_at, claimed_at=s.sent_at,
               sent_at=s.sent_at, expires_at=s.expires_at,
               answered_at=s.answer["answered_at"] if s.answer else None)
        for s in plan.surveys
    )  # fmt: skip
    SurveyResponse.objects.bulk_create(
        SurveyResponse(survey=row, ticket_id=row.ticket_id, account_id=s.account_id, agent_id=s.agent_id,
                       team_id=s.team_id, service_id=s.service_id, csat=s.answer["csat"], nps=s.answer["nps"],
                       comment=s.answer["comment"], answered_at=s.answer["answered_at"])
        for row, s in zip(surveys, plan.surveys, strict=True)
        if s.answer is not None
    )  # fmt: skip

    desk_address = f"servicedesk@{DEMO_DOMAIN}"
    InboundMail.objects.bulk_create(
        InboundMail(
            message_id=f"<demo-{seed}-triage-{i}@{mail['mail_from'].split('@')[1]}>",
            content_hash=hashlib.sha256(f"demo:{seed}:{i}:{mail['mail_from']}:{mail['subject']}".encode()).hexdigest(),
            source="smtp", received_at=mail["received_at"], mail_from=mail["mail_from"], rcpt_to=desk_address,
            subject=mail["subject"], size=1200 + 97 * i, status=InboundStatus.TRIAGE,
            reason="sender is not a known contact and its domain matches no customer account",
        )
        for i, mail in enumerate(plan.triage_mails)
    )  # fmt: skip

    agent = User.objects.get(email=agent_login)
    desk_services.saved_view_create(actor=agent, name="My incidents by deadline", queue="mine",
                                    filters={"type": "incident", "status": "open", "order": "deadline"})  # fmt: skip

    counts["tickets"] = planned["tickets"]
    counts["open_tickets"] = planned["open_tickets"]
    counts["surveys"] = planned["surveys"]
    counts["survey_responses"] = planned["survey_responses"]
    say(f"history: {planned['tickets']} tickets, {planned['surveys']} surveys "
        f"({planned['survey_responses']} answered) written in {time.monotonic() - t0:.1f}s")  # fmt: skip
