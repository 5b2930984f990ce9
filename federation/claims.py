"""The claims mapping of an identity provider: which of the provider's claims fill which of our
attributes (`IdentityProvider.claims_mapping`, our attribute → the provider's claim).

Three attributes are what a sign-in needs, so they are always read: `sub` (who the customer is
at the provider), `email` and `email_verified`. Without a mapping of their own they read the
standard claim of the same name. Any other attribute is filled only when it is mapped.
"""

import re

# What a sign-in needs from every provider; each reads the same-named claim unless mapped.
SIGN_IN_ATTRIBUTES = ("sub", "email", "email_verified")
# OIDC Core §5.1: the standard claims, by the attribute they fill. A new OpenID Provider starts
# with this mapping; Google always uses it.
STANDARD_CLAIMS = {
    "sub": "sub",
    "email": "email",
    "email_verified": "email_verified",
    "given_name": "given_name",
    "surname": "family_name",
    "display_name": "name",
}
# Facebook's and Apple's names for those attributes: the Graph API's User fields, where `id`
# identifies the person and an email comes with no verification flag
# (https://developers.facebook.com/docs/graph-api/reference/user); and the name Apple shares
# once, in the `user` form field beside the ID token, as firstName and lastName
# (https://developer.apple.com/documentation/sign_in_with_apple/sign_in_with_apple_js/
# incorporating_sign_in_with_apple_into_other_platforms). Google's are the standard claims.
SOCIAL_CLAIMS = {
    "facebook": {
        "sub": "id",
        "email": "email",
        "given_name": "first_name",
        "surname": "last_name",
        "display_name": "name",
    },
    "apple": {
        "sub": "sub",
        "email": "email",
        "email_verified": "email_verified",
        "given_name": "firstName",
        "surname": "lastName",
    },
}
MAX_CLAIM_NAME = 128
# A claim is named as a JSON member: a plain name here (letters, digits, `_ - . :`), which also
# covers namespaced claims such as `urn:example:tier` or `example.com:tier`.
CLAIM_NAME = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_CLAIM_NAME}}}")


def is_claim_name(value: object) -> bool:
    """Whether `value` is a claim name a mapping may hold."""
    return isinstance(value, str) and CLAIM_NAME.fullmatch(value) is not None
