"""Identity providers in the admin center (External Identities in Entra)."""
