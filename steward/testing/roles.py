"""The callers every role matrix is checked for (users from the `world` fixture)."""

STAFF = ["admin", "manager", "dispatcher", "agent", "technician"]
EDITORS = ["admin", "manager", "dispatcher", "agent"]  # may write to the customer directory
CUSTOMERS = ["customer_a_requester", "customer_a_admin", "customer_b_admin"]
A_USERS = ["customer_a_requester", "customer_a_admin"]  # account A's users, who must not see B
ACTORS = [*CUSTOMERS, *STAFF]
DESK = ["admin", "manager", "dispatcher", "agent"]  # work tickets (desk.selectors.DESK_ROLES)
