"""What the demo loader left behind, so `steward up` can print the demo logins again."""

from django.db import models


class DemoLoad(models.Model):
    seed = models.IntegerField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    logins = models.JSONField(default=list, help_text="[{role, email, password}] of the demo accounts")

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"demo seed {self.seed}"
