"""Make an operator a platform administrator, or no longer one: the admin center's tenant list
then shows them every tenant (issue 16). Opening a tenant still takes a role on it.

There is no page for it on purpose: whoever runs the platform runs its commands, and an
operator cannot make themselves see every tenant.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from tenants.models import PlatformAdministrator
from tenants.schemas import use_public_schema


class Command(BaseCommand):
    help = "Grant (or with --remove, take away) the platform administrator's view of all tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The operator's email address.")
        parser.add_argument("--remove", action="store_true", help="Take the view away.")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        operator = User.objects.filter(email=User.objects.normalize_email(options["email"])).first()
        if operator is None:
            raise CommandError(f"No operator has the address {options['email']}.")
        if options["remove"]:
            PlatformAdministrator.objects.filter(operator=operator).delete()
            self.stdout.write(f"{operator} no longer sees every tenant.")
        else:
            PlatformAdministrator.objects.get_or_create(operator=operator)
            self.stdout.write(f"{operator} now sees every tenant.")
