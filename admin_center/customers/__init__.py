"""A tenant's customers in the admin center (User Administrator or Global Administrator)."""
