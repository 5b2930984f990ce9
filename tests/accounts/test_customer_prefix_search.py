"""The management API's prefix search (accounts.selectors.customer_prefix_page): every match of
the email or the display name once, in the order of the value that matched, paged by keyset
across equal values."""

from accounts.models import User
from accounts.selectors import customer_prefix_page
from tenants.models import Tenant
from tenants.schemas import in_tenant


def test_matches_of_either_value_come_once_in_order_across_pages(
    tenant_a: Tenant,
) -> None:
    with in_tenant(tenant_a):
        made = [
            ("wang.li@example.com", "Li Wang"),  # email matches
            ("li@example.com", "Wang Li"),  # display name matches
            ("wang@example.com", "Wang"),  # both match: once, by its email
            ("zhao@example.com", "wang"),  # display name, same value as another's
            ("zhou@example.com", "WANG"),  # and again, other case
            ("wanda@example.com", ""),  # email
            ("other@example.com", "Other"),  # no match
        ]
        for email, name in made:
            User.objects.create_user(email=email, display_name=name)
        User.objects.create_user(email="wane@example.com", deleted_at=None, is_active=False)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = customer_prefix_page(prefix=" WAN", cursor=cursor, page_size=2)
            seen += [customer.email for customer in page.customers]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        # Matched values in byte order: "wanda@…", "wane@…", "wang" (twice: zhao, zhou, by row),
        # "wang li", "wang.li@…", "wang@…".
        assert seen == [
            "wanda@example.com",
            "wane@example.com",
            "zhao@example.com",
            "zhou@example.com",
            "li@example.com",
            "wang.li@example.com",
            "wang@example.com",
        ]
        assert pages == 4
        enabled = customer_prefix_page(prefix="wan", blocked=False, page_size=50)
        assert "wane@example.com" not in [customer.email for customer in enabled.customers]
