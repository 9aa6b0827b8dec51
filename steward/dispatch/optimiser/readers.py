"""Benchmark instances (Solomon and VRPLIB files) as our :class:`Problem`, and plans as VRPLIB ``.sol``.

The benchmarks go through the same Problem -> Engine -> Plan path as the product, so an instance is
translated into technicians' shifts and jobs rather than handed to a solver directly:

* every vehicle is one technician with one shift from its depot back to it, within the depot's
  time window, with the instance's capacity and no break or overtime;
* every client is a job at its own location, ``id`` = its VRPLIB number (the location index, as
  ``.sol`` files count), with its demand, service time and time window (on the service start);
* ``VEHICLES_ALLOWED_CLIENTS_SECTION`` becomes skills: each distinct set of vehicles allowed to
  serve a client is one skill, which those vehicles' technicians hold and the client requires;
* ``PRIZE_SECTION``: a client with a prize is optional with penalty = prize, one without is
  required (PyVRP's reading of these instances).

Integer data under a rounding convention (``scale`` is what costs must be divided by to compare
with published figures):

* ``dimacs`` (Solomon's best-known solutions): distances ``floor(10 * euclid)``, times x10;
* ``round``: nearest integer, unscaled (CVRPLIB's X instances);
* ``exact``: x1000, rounded.

Durations equal distances (the instances have no separate travel times).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import numpy as np

from .problem import Job, Location, Plan, Problem, Shift, Technician, TimeWindow

CONVENTIONS: dict[str, tuple[float, str]] = {
    "dimacs": (10, "floor"),
    "round": (1, "round"),
    "exact": (1000, "round"),
}

#: No time limit given (no depot window): a horizon long enough for any instance.
OPEN_END = 10**9


@dataclass
class Instance:
    problem: Problem
    scale: float  # divide our integer cost by this to compare with published costs
    convention: str
    vehicles: int
    source: str


def _to_int(values, convention: str) -> np.ndarray:
    factor, how = CONVENTIONS[convention]
    arr = np.asarray(values, dtype=float) * factor
    out = np.floor(arr) if how == "floor" else np.round(arr)
    return out.astype(np.int64)


def read_instance(path: str | os.PathLike, *, convention: str = "dimacs", fmt: str | None = None) -> Instance:
    """Read a Solomon (``*.txt``) or VRPLIB (``*.vrp``) instance; `fmt` overrides the guess by suffix
    and content."""
    import vrplib

    if convention not in CONVENTIONS:
        raise ValueError(f"unknown rounding convention {convention!r}; one of {sorted(CONVENTIONS)}")
    path = Path(path)
    if fmt is None:
        head = path.read_text(errors="replace")[:2000].upper()
        fmt = (
            "solomon"
            if ("CUST NO." in head or path.suffix.lower() == ".txt") and "SECTION" not in head
            else "vrplib"
        )
    data = vrplib.read_instance(str(path), instance_format=fmt)
    return _from_vrplib_dict(data, convention, name=str(data.get("name") or path.stem), source=str(path))


def _per_vehicle(value, n: int) -> list:
    if value is None:
        return [None] * n
    if isinstance(value, Number):
        return [value] * n
    arr = np.atleast_1d(value)
    if arr.size == 1:
        return [arr.item()] * n
    if len(arr) != n:
        raise ValueError(f"{len(arr)} per-vehicle values for {n} vehicles")
    return list(arr)


def _from_vrplib_dict(data: dict, convention: str, *, name: str, source: str) -> Instance:
    coords = np.asarray(data["node_coord"]) if "node_coord" in data else None
    n_loc = int(data.get("dimension") or len(data["edge_weight"]))
    depots = [int(d) for d in np.atleast_1d(data.get("depot", np.array([0])))]
    if depots != list(range(len(depots))):
        raise ValueError("depots must be the first locations (VRPLIB numbers 1..k)")
    clients = list(range(len(depots), n_loc))
    matrix = _to_int(data["edge_weight"], convention)
    durations = distances = matrix.tolist()

    def times(key):
        return _to_int(data[key], convention) if key in data else None

    windows = times("time_window")
    service = data.get("service_time", 0)
    if isinstance(service, Number):
        service = np.full(n_loc, service)
        service[: len(depots)] = 0
    service = _to_int(service, convention)
    demand = np.asarray(data.get("demand", np.zeros(n_loc)), dtype=np.int64).reshape(n_loc, -1)[:, 0]
    prizes = _to_int(data["prize"], convention) if "prize" in data else np.zeros(n_loc, dtype=np.int64)

    vehicles = int(data.get("vehicles", len(clients)))
    capacities = _per_vehicle(data.get("capacity"), vehicles)
    vehicle_depot = (
        [int(d) - 1 for d in np.atleast_1d(data["vehicles_depot"])]
        if "vehicles_depot" in data
        else [depots[0]] * vehicles
    )

    # Allowed vehicles per client -> one skill per distinct set of allowed vehicles.
    vehicle_skills: list[set[str]] = [set() for _ in range(vehicles)]
    client_skills: dict[int, frozenset[str]] = {}
    if "vehicles_allowed_clients" in data:
        allowed = data["vehicles_allowed_clients"]
        if isinstance(allowed[0], Number):
            allowed = [[a] for a in allowed]
        if len(allowed) != vehicles:
            raise ValueError(
                f"VEHICLES_ALLOWED_CLIENTS_SECTION has {len(allowed)} rows for {vehicles} vehicles"
            )
        allowed_by_client: dict[int, set[int]] = {c: set() for c in clients}
        for k, row in enumerate(allowed):
            for number in row:
                loc = int(number) - 1
                if loc in allowed_by_client:
                    allowed_by_client[loc].add(k)
        skill_of_group: dict[frozenset[int], str] = {}
        for c in clients:
            group = frozenset(allowed_by_client[c])
            if len(group) == vehicles:
                continue  # any vehicle may serve it: no skill needed
            skill = skill_of_group.setdefault(group, f"group-{len(skill_of_group) + 1}")
            client_skills[c] = frozenset({skill})
            for k in group:
                vehicle_skills[k].add(skill)

    biggest = int(matrix.max()) if matrix.size else 0
    required_penalty = max(1, biggest) * 100  # unused by a correct engine: required jobs stay planned
    jobs = []
    for c in clients:
        window = TimeWindow(int(windows[c][0]), int(windows[c][1])) if windows is not None else None
        optional = prizes[c] > 0
        jobs.append(
            Job(
                id=str(c),
                location=c,
                duration=int(service[c]),
                penalty=int(prizes[c]) if optional else required_penalty,
                skills=client_skills.get(c, frozenset()),
                window=window,
                priority="P3" if optional else "P1",
                required=not optional,
                demand=int(demand[c]),
            )
        )

    technicians = []
    width = len(str(vehicles))
    for k in range(vehicles):
        depot = vehicle_depot[k]
        start, end = (
            (int(windows[depot][0]), int(windows[depot][1])) if windows is not None else (0, OPEN_END)
        )
        tid = f"vehicle-{k + 1:0{width}d}"
        cap = capacities[k]
        shift = Shift(
            id=f"{tid}/0",
            technician=tid,
            day=0,
            start=start,
            end=end,
            start_location=depot,
            end_location=depot,
            max_overtime=0,
            capacity=None if cap is None else int(cap),
        )
        technicians.append(Technician(tid, frozenset(vehicle_skills[k]), (shift,), label=f"vehicle {k + 1}"))

    if coords is not None:
        locations = [Location(float(y), float(x), str(i)) for i, (x, y) in enumerate(coords[:, :2])]
    else:
        locations = [Location(0.0, 0.0, str(i)) for i in range(n_loc)]
    problem = Problem(
        origin=None,
        locations=locations,
        durations=durations,
        distances=distances,
        jobs=jobs,
        technicians=technicians,
        name=name,
    )
    return Instance(problem, CONVENTIONS[convention][0], convention, vehicles, source)


def route_numbers(plan: Plan, problem: Problem) -> list[list[int]]:
    """The plan's non-empty routes as VRPLIB client numbers (location indices)."""
    return [[problem.job(v.job_id).location for v in r.visits] for r in plan.routes if r.visits]


def write_sol(path: str | os.PathLike, plan: Plan, problem: Problem, *, scale: float = 1) -> None:
    """Write the plan in VRPLIB solution format: ``Route #k: c1 c2 ...`` lines, then ``Cost c`` with
    the cost divided by the instance's `scale` (so it compares with published best-known costs)."""
    lines = [
        f"Route #{k}: {' '.join(map(str, clients))}"
        for k, clients in enumerate(route_numbers(plan, problem), 1)
    ]
    cost = plan.cost / scale
    lines.append(f"Cost {int(cost) if math.isclose(cost, round(cost)) else round(cost, 3)}")
    Path(path).write_text("\n".join(lines) + "\n")


def read_best_known(path: str | os.PathLike) -> tuple[float, list[list[int]]]:
    """The cost and routes of a VRPLIB ``.sol`` file."""
    import vrplib

    sol = vrplib.read_solution(str(path))
    return float(sol["cost"]), [list(map(int, r)) for r in sol["routes"]]
