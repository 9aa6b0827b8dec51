"""`steward demo --seed N`: load the deterministic demo organisation into an empty database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Load the deterministic demo organisation (a Berlin service company, its staff, customers, "
        "sites and assets, six months of service-desk history) and print its logins. Refuses when the "
        "database already holds customer data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="the same seed gives the same data")
        parser.add_argument(
            "--history-tickets",
            type=int,
            default=None,
            help="about how many tickets of service-desk history to create (default 30000; 0: none)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even though the database already holds data (adds to it; nothing is deleted)",
        )

    def handle(self, *args, seed: int, force: bool = False, history_tickets: int | None = None, **options):
        from steward.core.errors import DomainError
        from steward.customers.models import CustomerAccount
        from steward.demo.generator import DEFAULT_HISTORY_TICKETS, load_demo
        from steward.demo.models import DemoLoad

        if not force:
            previous = DemoLoad.objects.first()
            if previous is not None:
                raise CommandError(f"demo data already loaded (seed {previous.seed})", returncode=1)
            if CustomerAccount.objects.exists():
                raise CommandError(
                    "the database already holds customer accounts; not loading the demo "
                    "(use --force to add it anyway)",
                    returncode=1,
                )

        history = DEFAULT_HISTORY_TICKETS if history_tickets is None else history_tickets
        if history < 0:
            raise CommandError("--history-tickets must be 0 or more", returncode=2)
        self.stdout.write(f"Loading the demo organisation (seed {seed})…")

        def progress(line: str) -> None:
            self.stdout.write(f"  {line}")
            self.stdout.flush()  # shown as it happens, also when the output is a pipe

        try:
            result = load_demo(seed=seed, history=history, progress=progress)
        except DomainError as exc:  # names the field; the transaction rolled back, nothing was written
            raise CommandError(f"demo not loaded: {exc.message}", returncode=1) from exc

        width_role = max(len("role"), *(len(x["role"]) for x in result.logins))
        width_email = max(len("email"), *(len(x["email"]) for x in result.logins))
        lines = ["", "Demo logins:", f"  {'role':<{width_role}}  {'email':<{width_email}}  password"]
        lines.append(f"  {'-' * width_role}  {'-' * width_email}  {'-' * 8}")
        for login in result.logins:
            lines.append(
                f"  {login['role']:<{width_role}}  {login['email']:<{width_email}}  {login['password']}"
            )
        lines.append("")
        lines.append(f"Loaded demo seed {seed} in {result.seconds:.1f}s: {result.summary()}.")
        self.stdout.write("\n".join(lines))
