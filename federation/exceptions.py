"""What the federation services refuse, for the edges to turn into form errors."""


class IdentityProviderInvalid(Exception):
    """The registration cannot be stored as given; nothing was stored.

    `errors` maps a form field's name (`display_name`, `client_id`, `secret`, `slug`,
    `well_known_url`, `key_id`, `team_id`, `scopes`, `claims_mapping`, `client_authentication`,
    `generate_key_pair`) to the messages that explain what to change.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class MetadataUnavailable(Exception):
    """An OpenID Provider's discovery document could not be read (unreachable, too large,
    redirected elsewhere); the message says why, for the admin."""
