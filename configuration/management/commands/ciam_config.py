"""`ciam_config export TENANT [-o FILE]` and `ciam_config apply TENANT FILE [--dry-run]
[--no-delete]` (docs/configuration-as-code.md). TENANT is the tenant's domain name.

Exit codes: 0 done (or, with --dry-run, nothing to change); 2 with --dry-run when there are
changes (so a pipeline can tell drift); 1 for a refused document or unknown tenant."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from configuration.apply import configuration_apply
from configuration.document import (
    HEADER,
    ConfigurationInvalid,
    document_read,
    yaml_dump,
    yaml_load,
)
from configuration.export import ConfigurationNotExportable, configuration_export
from configuration.plan import configuration_plan
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Export a tenant's configuration as YAML, or apply a YAML configuration to a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        export = commands.add_parser("export", help="Write the tenant's configuration as YAML.")
        export.add_argument("tenant", help="the tenant's domain name")
        export.add_argument("-o", "--output", help="the file to write (default: standard output)")
        apply = commands.add_parser("apply", help="Make the tenant what a YAML file says.")
        apply.add_argument("tenant", help="the tenant's domain name")
        apply.add_argument("file", help="the YAML file ('-' for standard input)")
        apply.add_argument(
            "--dry-run", action="store_true", help="print the diff and the changes; change nothing"
        )
        apply.add_argument(
            "--no-delete",
            action="store_true",
            help="keep objects the tenant has and the file does not",
        )

    def _tenant(self, domain_name: str) -> Tenant:
        tenant: Tenant | None = Tenant.objects.filter(domain_name=domain_name).first()
        if tenant is None:
            raise CommandError(f"No tenant is named {domain_name}.")
        return tenant

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = self._tenant(options["tenant"])
        if options["action"] == "export":
            try:
                text = HEADER + yaml_dump(configuration_export(tenant=tenant))
            except ConfigurationNotExportable as error:
                raise CommandError(str(error)) from None
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text, ending="")
            return
        source = options["file"]
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        try:
            document = document_read(yaml_load(text))
            plan = configuration_plan(
                tenant=tenant, document=document, delete=not options["no_delete"]
            )
            if options["dry_run"]:
                self.stdout.write(plan.diff, ending="")
                for change in plan.changes:
                    self.stdout.write(f"  {change}")
                self.stdout.write(f"Plan: {plan.summary}.")
                if plan.changes:
                    sys.exit(2)
                return
            configuration_apply(tenant=tenant, plan=plan, actor=None)
        except ConfigurationInvalid as invalid:
            raise CommandError(
                "The configuration was refused; nothing changed.\n" + "\n".join(invalid.errors)
            ) from None
        for change in plan.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(f"Applied: {plan.summary}.")
        for name in plan.unsettled:
            self.stderr.write(
                f"Note: {name} is stored otherwise than the file says (a value was normalised);"
                " export again to see it."
            )
