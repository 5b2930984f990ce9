from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id with OWASP's minimum parameters: 19 MiB of memory, 2 iterations, 1 lane.

    Django's defaults (100 MiB, 8 lanes) cost several times more CPU per sign-in for no gain in
    the threat model OWASP's Password Storage Cheat Sheet assumes.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
