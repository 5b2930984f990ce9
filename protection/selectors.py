"""Reading a tenant's sign-in protection (call in the tenant's schema). A tenant that never
saved a row has the defaults: an unsaved instance is returned, nothing is written."""

from protection.models import AuthenticationMethodsPolicy, SignInProtection


def authentication_methods_policy() -> AuthenticationMethodsPolicy:
    return AuthenticationMethodsPolicy.objects.first() or AuthenticationMethodsPolicy()


def sign_in_protection() -> SignInProtection:
    return SignInProtection.objects.first() or SignInProtection()
