"""allauth's seams for customers: per-flow decisions, made server-side, and email via Celery."""

import math
import secrets
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.db.transaction import atomic, on_commit
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language

from accounts.models import User
from accounts.tasks import email_deliver
from apps.oidc.acr import FEDERATED, PASSWORD
from apps.oidc.sessions import sign_in_identity_provider_record, sign_in_methods_record
from journey import linking, transaction
from journey.emails import code_minutes, email_face, sender_address, tenant_links
from journey.mfa.requirement import recorded_first_factor
from journey.mfa.stages import SecondFactorStage, SignInMethodsStage, sign_in_proof
from journey.otp_delivery import code_sent_by_extension
from journey.providers import (
    StoredDiscovery,
    apply_claims,
    email_verified_by_provider,
    mapped_provider,
    missing_required_attributes,
    provider_claims,
    provider_issuer,
    provider_named,
    provider_of_login,
    providers_of_flow,
    social_app,
    stored_discovery_documents,
    trusted_for_email,
)
from journey.selectors import flow_for_request
from journey.sign_in_log import interactive_record
from journey.stages import JOURNEY_STAGES
from monitoring.reasons import Reason
from protection.lockout import (
    Lockout,
    SourceKind,
    lockout_clear,
    lockout_notice_due,
    password_attempt_begin,
    password_attempt_failed,
    sign_in_succeeded,
)
from protection.risk import password_failure_record, password_sign_in_refusal
from tenants.current import current_tenant_or_none
from tenants.selectors import tenant_base_url
from userflows.models import SignInMethod

# A password sign-in's `amr` (RFC 8176), for the sign-in log's rows of its failures.
_PASSWORD_METHODS = (PASSWORD,)


class CustomerAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Customers sign up only through an app whose user flow allows it (as in Entra)."""
        if getattr(request, "ciam_tenant", None) is None:
            return False
        flow = flow_for_request(request)
        return flow is not None and flow.sign_up_allowed

    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        """A new customer's profile is completed after the email is verified (in the sign-in's
        ProfileCompletionStage)."""
        user = super().save_user(request, user, form, commit=False)
        user.profile_completed = False
        # The language the sign-up page spoke is the new customer's (journey/languages.py).
        user.preferred_language = get_language() or ""
        if commit:
            user.save()
        return user

    def is_safe_url(self, url: str | None) -> bool:
        """A `next` URL that does not even parse (`http://[::1`) is not safe, rather than a 500
        (allauth's check hands it to urlparse, which raises)."""
        try:
            return bool(super().is_safe_url(url))
        except ValueError:
            return False

    def is_login_by_code_required(self, login: Any) -> bool:
        return False

    def login(self, request: HttpRequest, user: User) -> None:
        """Sign the customer in, at the end of the login stages, in a new session: Django
        gives another account a new session and a signed-out session a new key, and here the
        account already signed in (a fresh sign-in the app asked for) gets a new key too. The
        auth transaction under way outlives the session it replaces and records the sign-in."""
        journey = transaction.current(request)
        # A link offer outlives the session too (Django empties it when another account was
        # signed in); `post_login` decides whether this sign-in accepts it.
        link_offer = linking.offer_current(request)
        already_in = request.session.get(SESSION_KEY) == user._meta.pk.value_to_string(user)
        super().login(request, user)
        record_language(user)
        if already_in:
            request.session.cycle_key()
        if journey is not None:
            transaction.signed_in(request, transaction=journey)
        if link_offer is not None:
            linking.offer_keep(request, link_offer)

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> Any:
        """Remember which identity provider this sign-in went through, for the `idp` of the
        tokens the app gets next (apps/oidc/sessions.py); a sign-in here forgets any earlier.

        A sign-in here (password or code) that proves the account a link offer was made for
        links the provider's account to it, and then counts as a sign-in through the provider
        (journey/linking.py). Any sign-in ends the offer."""
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        linked = False
        if sociallogin is None:
            sociallogin = linking.offer_accept(request, customer=user)
            linked = sociallogin is not None
        else:
            linking.offer_drop(request)
        registration = provider_of_login(sociallogin) if sociallogin is not None else None
        if linked:
            # The customer hears of every new way into the account (as of a password change).
            name = registration.display_name if registration is not None else ""
            self.send_mail("account/email/identity_linked", user.email, {"provider_name": name})
        issuer = provider_issuer(registration) if registration is not None else ""
        sign_in_identity_provider_record(request, issuer=issuer)
        # And the methods it used, for the tokens' `amr` and `acr` (journey/mfa/stages.py).
        proof = sign_in_proof(request)
        sign_in_methods_record(request, methods=proof.methods)
        interactive_record(
            request,
            reason=Reason.SUCCESS,
            customer=user,
            methods=proof.methods,
            mfa_detail=proof.mfa_detail,
            identity_provider=issuer,
            outcome=proof.outcome,
        )
        response = super().post_login(request, user, **kwargs)
        # The place becomes familiar to smart lockout, the browser gets its device cookie.
        sign_in_succeeded(request=request, email=user.email, response=response)
        return response

    def authenticate(self, request: HttpRequest, **credentials: Any) -> User | None:
        """allauth's password check under smart lockout (protection/lockout.py).

        A locked account is answered exactly as a wrong password: allauth checks, in its
        place, a fresh random password that matches no account, so the same lookup and hash
        run, allauth's per-address limit counts it as a failure, and nothing depends on
        whether the password given was right. A wrong password counts towards the lockout of
        its kind of source, for unknown addresses too; the failure that locks emails the
        customer (`lockout_notice_send`).
        """
        attempt = password_attempt_begin(request=request, email=str(credentials.get("email", "")))
        if attempt.locked:
            credentials = {**credentials, "password": secrets.token_urlsafe(32)}
        user: User | None = super().authenticate(request, **credentials)
        if user is None and not attempt.locked:
            lockout = password_attempt_failed(attempt=attempt)
            if lockout is not None:
                self.lockout_notice_send(request, attempt.email, lockout)
        if user is None:
            self._password_failure_record(request, attempt.email, locked=attempt.lockout)
        return user

    @staticmethod
    def _password_failure_record(
        request: HttpRequest, email: str, *, locked: Lockout | None
    ) -> None:
        """The sign-in log tells what the page does not: a locked account, an unknown address
        or a wrong password (one read of the account, on this failed path only)."""
        customer = User.objects.filter(email__iexact=email.strip()).first() if email else None
        if locked is not None:
            reason = Reason.LOCKED
        else:
            reason = Reason.WRONG_PASSWORD if customer is not None else Reason.NO_ACCOUNT
        interactive_record(
            request,
            reason=reason,
            customer=customer,
            email=email,
            methods=_PASSWORD_METHODS,
            details={"lockout": locked.kind.value} if locked is not None else None,
        )

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        """After a password reset by emailed code (allauth's own hook, for each of the
        customer's addresses): allauth forgets its failed sign-ins, and the account's lockouts
        end, since whoever reset it holds its email."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        lockout_clear(email=str(credentials.get("email", "")))

    def lockout_notice_send(self, request: HttpRequest, email: str, lockout: Lockout) -> None:
        """Tell a customer whose account was just locked, by email, at most once an hour; an
        address without an account (or with a blocked or deleted one) is told nothing."""
        customer = User.objects.filter(
            email__iexact=email.strip(), is_active=True, deleted_at__isnull=True
        ).first()
        if customer is None or not lockout_notice_due(email=email, lockout=lockout):
            return
        reset_url = request.build_absolute_uri(reverse("account_reset_password"))
        self.send_mail(
            "account/email/lockout",
            customer.email,
            {
                "lockout_minutes": max(1, math.ceil(lockout.seconds / 60)),
                "from_elsewhere": lockout.kind == SourceKind.UNFAMILIAR,
                "password_reset_url": reset_url,
            },
        )

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Before a password is checked: a source marked as spraying passwords is refused with
        a 429 (protection/risk.py), then allauth's own limits apply."""
        refusal = password_sign_in_refusal(request)
        email = str(credentials.get("email", ""))
        if refusal is not None:
            self._throttled_record(request, email, throttle="password_spray")
            raise ImmediateHttpResponse(refusal)
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            self._throttled_record(request, email, throttle="failed_passwords")
            raise

    @staticmethod
    def _throttled_record(request: HttpRequest, email: str, *, throttle: str) -> None:
        """A password sign-in refused for its source, before any password was checked: the
        log names the address typed, not an account (none was looked up)."""
        interactive_record(
            request,
            reason=Reason.SOURCE_THROTTLED,
            email=email,
            methods=_PASSWORD_METHODS,
            details={"throttle": throttle},
        )

    def pre_login(self, request: HttpRequest, user: User, **kwargs: Any) -> Any:
        """allauth refuses a blocked or deleted customer (`is_active` off) whichever way they
        proved who they are; the sign-in log says so, with that way."""
        # Read before allauth's refusal clears the sign-in, and what it recorded with it.
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        method = recorded_first_factor(request, user) if sociallogin is None else FEDERATED
        response = super().pre_login(request, user, **kwargs)
        if response is not None and not user.is_active:
            registration = provider_of_login(sociallogin) if sociallogin is not None else None
            interactive_record(
                request,
                reason=Reason.BLOCKED_ACCOUNT,
                customer=user,
                methods=(method,) if method else (),
                identity_provider=provider_issuer(registration) if registration else "",
            )
        return response

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        """A wrong password counts towards password-spray detection (protection/risk.py)."""
        super().authentication_failed(request, **credentials)
        password_failure_record(request=request, email=str(credentials.get("email", "")))

    def get_login_stages(self) -> list[str]:
        """allauth's stages (code, phone, email verification) with the journey's second
        factor in place of allauth's MFA stage, then the journey's steps before going back to
        the app, in their order, and last the record of what the sign-in proved."""
        stages = [
            _path(SecondFactorStage) if stage == _ALLAUTH_MFA_STAGE else stage
            for stage in super().get_login_stages()
        ]
        return [
            *stages,
            *(_path(stage) for stage in JOURNEY_STAGES),
            _path(SignInMethodsStage),
        ]

    def format_email_subject(self, subject: str) -> str:
        """The subject as our templates write it: it names the app or the tenant itself, so
        allauth's "[site] " prefix is not added."""
        return str(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render now, in the page's language and in the branding of the app signing in (else
        the tenant's), from the app's name (else the tenant's); deliver on commit through
        Celery. Links point at the tenant's base URL, never at the request's host. A one-time
        code goes to the tenant's OnOtpSend extension instead, when it has one
        (journey/otp_delivery.py)."""
        # Every message knows whom it is for: allauth leaves the address out of some contexts
        # (its "account already exists" message printed a blank line where it goes).
        context = {"email": email, **context}
        from_email = self.get_from_email()
        tenant = current_tenant_or_none()
        if (
            tenant is not None
            and self.request is not None
            and code_sent_by_extension(
                self.request,
                adapter=self,
                template_prefix=template_prefix,
                email=email,
                context=context,
            )
        ):
            return
        if tenant is not None:
            journey = transaction.current(self.request) if self.request is not None else None
            face = email_face(
                tenant=tenant,
                client_id=journey.client_id if journey is not None else None,
                language=get_language() or settings.LANGUAGE_CODE,
            )
            from_email = sender_address(face)
            context = {
                **tenant_links(tenant, context),
                "face": face,
                "code_minutes": code_minutes(template_prefix),
                # Messages speak for the tenant, never for the host the request came through.
                "current_site": SimpleNamespace(
                    name=tenant.display_name, domain=tenant_base_url(tenant)
                ),
            }
        message = self.render_mail(template_prefix, email, context)
        html = None
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        payload = {
            "subject": message.subject,
            "body": message.body,
            "html": html,
            "from_email": from_email,
            "to": list(message.to),
        }
        on_commit(
            lambda: email_deliver.apply_async(kwargs=payload, kwargsrepr="{<redacted>}")  # type: ignore[call-arg]
        )


def record_language(user: User) -> None:
    """The customer's stored preference becomes the language the page they signed in on spoke
    (journey/languages.py), with one UPDATE of that column, only when it differs."""
    language = get_language()
    if language and user.preferred_language != language:
        user.preferred_language = language
        User.objects.filter(pk=user.pk).update(preferred_language=language)


def flow_uses_codes(request: HttpRequest) -> bool:
    flow = flow_for_request(request)
    return flow is not None and flow.sign_in_method == SignInMethod.EMAIL_OTP


class CustomerSocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    """allauth's social sign-in, run by the tenant's identity providers and the user flow
    (journey/providers.py): no app in allauth's tables or settings is ever used."""

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        """The providers the user flow of the auth transaction enables, as unsaved apps;
        none without a transaction (a customer who came without an app has no flow)."""
        flow = flow_for_request(request) if request is not None else None
        if flow is None:
            return []
        apps = [social_app(registration) for registration in providers_of_flow(flow)]
        return [
            app
            for app in apps
            if (provider is None or provider in (app.provider, app.provider_id))
            and (client_id is None or client_id == app.client_id)
        ]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Before a first sign-in through a provider becomes a sign-up:

        - the email counts as verified only when the provider says so (`email_verified`;
          Facebook gives only confirmed emails) AND it is trusted for email (Google, Apple,
          or marked by the admin); otherwise the customer verifies it with our emailed code
          (ACCOUNT_EMAIL_VERIFICATION);
        - an email that already has an account here is never taken over: when the provider
          verified it (and is trusted for email) and the customer may sign in, linking is
          offered, after the customer proves the account here (journey/linking.py); otherwise
          the page says why not and to sign in here instead. Nothing is stored either way;
        - a provider that shares no email cannot sign up (every customer has one).
        """
        if sociallogin.is_existing:
            return
        registration = provider_of_login(sociallogin)
        trusted = registration is not None and trusted_for_email(registration)
        for address in sociallogin.email_addresses:
            address.verified = trusted and email_verified_by_provider(registration, address)
        email = user_email(sociallogin.user) or next(
            (address.email for address in sociallogin.email_addresses), ""
        )
        if not email:
            raise ImmediateHttpResponse(render(request, "socialaccount/no_email.html", status=400))
        customer = User.objects.filter(email__iexact=email).first()
        if customer is None:
            return
        verified = any(
            address.verified and address.email.lower() == email.lower()
            for address in sociallogin.email_addresses
        )
        refused = linking.refusal(
            customer=customer, provider=registration, trusted=trusted, verified=verified
        )
        if refused is None and registration is not None:
            linking.offer_make(
                request, sociallogin=sociallogin, customer=customer, provider=registration
            )
            raise ImmediateHttpResponse(redirect("account-link"))
        next_url = sociallogin.get_redirect_url(request) or ""
        raise ImmediateHttpResponse(
            render(
                request,
                "socialaccount/account_exists.html",
                {
                    "provider_name": registration.display_name if registration else "",
                    "reason": refused,
                    "uses_codes": flow_uses_codes(request),
                    "sign_in_url": reverse("account_login")
                    + (f"?{urlencode({'next': next_url})}" if next_url else ""),
                },
                status=409,
            )
        )

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> User:
        """allauth's common fields, then the provider's claims through its mapping."""
        user: User = super().populate_user(request, sociallogin, data)
        registration = provider_of_login(sociallogin)
        if registration is not None:
            apply_claims(user, registration, provider_claims(sociallogin))
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        """A new customer through a provider: the flow's attribute page is asked only for what
        the flow requires and the provider did not supply (ProfileCompletionStage)."""
        user: User = sociallogin.user
        user.profile_completed = not missing_required_attributes(flow_for_request(request), user)
        user.preferred_language = get_language() or ""
        # One transaction for the account, its identity (the provider's account and tokens) and
        # its email addresses, which allauth writes one statement at a time: a connection lost
        # midway leaves no customer without the identity it signs in with.
        with atomic():
            saved: User = super().save_user(request, sociallogin, form=form)
        return saved

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """A sign-in through a provider that did not complete (the customer cancelled, the
        provider answered an error, a wrong `state`, a code refused, a token that does not
        verify): our page in the customer's language, a 400, and nothing stored but its row in
        the sign-in log."""
        # allauth names an OpenID Provider's app by its slug, the others by their kind.
        app = getattr(provider, "app", None)
        name = (app.provider_id or app.provider) if app is not None else ""
        registration = provider_named(str(name))
        interactive_record(
            request,
            reason=Reason.PROVIDER_FAILED,
            methods=(FEDERATED,),
            identity_provider=provider_issuer(registration) if registration is not None else "",
            details={"error": str(error or "")[:64]},
        )
        raise ImmediateHttpResponse(
            render(
                request,
                "socialaccount/authentication_error.html",
                {"provider_name": getattr(provider, "name", "")},
                status=400,
            )
        )

    def get_requests_session(self) -> requests.Session:
        """allauth's session (its timeout), reading each OpenID Provider's discovery document
        from the copy validated on save (`StoredDiscovery`)."""
        session: requests.Session = super().get_requests_session()
        for url, document in stored_discovery_documents().items():
            session.mount(url, StoredDiscovery(document))
        return session

    def get_provider(
        self, request: HttpRequest, provider: str, client_id: str | None = None
    ) -> Any:
        """allauth's provider, an OpenID Provider's reading the claims its mapping names."""
        return mapped_provider(super().get_provider(request, provider, client_id=client_id))

    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        """A provider the tenant has not set up is simply not there (404), not a crash."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as error:
            raise Http404 from error


_ALLAUTH_MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"


def _path(stage: type) -> str:
    return f"{stage.__module__}.{stage.__qualname__}"
