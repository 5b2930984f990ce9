"""Hosted pages a customer sees, around allauth's: per-flow gates and the pages of the steps
before going back to the app (journey/stages.py)."""

from typing import Any

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePasswordForm
from allauth.account.signals import password_changed
from allauth.account.stages import LoginStage, LoginStageController
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.answer_time import SIGNUP_ANSWER_QUANTUM_SECONDS, answered_on_the_quantum
from accounts.models import User
from accounts.services import customer_profile_update
from apps.oidc.acr import ONE_TIME_CODE
from extensions.attribute_collection import Verdict
from extensions.models import ExtensionEvent
from journey import linking
from journey.adapters import flow_uses_codes
from journey.answers import continue_to_app, continue_to_stage
from journey.attribute_extensions import (
    collection_call,
    continued_note,
    modified_form,
    refused,
    stopped_page,
    validation_errors,
)
from journey.forms import FIELD_PREFIX, ProfileCompletionForm, attributes_known
from journey.funnel import sign_up_completed
from journey.selectors import flow_for_request
from journey.sign_in_log import interactive_record
from journey.stages import ProfileCompletionStage, TemporaryPasswordStage
from monitoring.reasons import Reason
from userflows.models import SignInMethod
from userflows.selectors import flow_attributes


def _next_url(request: HttpRequest) -> str:
    """Where to go on: a path on this host (`next`), else the tenant's own landing page.

    Only a path will do: anything else ("²", "a@b") would be read by redirect() as a URL name.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return reverse("customer-home")


def _with_next(url_name: str, request: HttpRequest) -> str:
    url = reverse(url_name)
    next_url = request.GET.get("next")
    return f"{url}?{request.GET.urlencode()}" if next_url else url


def not_offered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """allauth's self-service pages that no user flow offers: not there (404)."""
    raise Http404


@login_required
def customer_home(request: HttpRequest) -> HttpResponse:
    """The tenant's own landing page: who is signed in here, and a way to sign out."""
    return render(request, "hosted/home.html", {"tenant": request.tenant})  # type: ignore[attr-defined]


class ContinueToAppMixin:
    """A hosted form that signs the customer in: its answer to a POST goes straight back to
    the app that asked (`continue_to_app`), or is the second-factor step's page where that
    step holds the sign-in (`continue_to_stage`)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if request.method != "POST":
            return response
        return continue_to_stage(request, continue_to_app(request, response))


class CustomerLoginView(ContinueToAppMixin, allauth_views.LoginView):  # type: ignore[misc]
    """Sign-in: a flow with the email one-time passcode method signs in by code only."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if flow_uses_codes(request):
            return redirect(_with_next("account_request_login_code", request))
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        # A password flow offers no code sign-in: no link to a page that would refuse it.
        context["LOGIN_BY_CODE_ENABLED"] = False
        context["signup_open"] = get_adapter(self.request).is_open_for_signup(self.request)
        return context


class CustomerSignupView(allauth_views.SignupView):  # type: ignore[misc]
    """Sign-up: an address that has an account is answered as a new one is (allauth's
    enumeration prevention), and after the same time (accounts/answer_time.py)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse
        if request.method != "POST":
            response = super().dispatch(request, *args, **kwargs)
            return response
        with answered_on_the_quantum(SIGNUP_ANSWER_QUANTUM_SECONDS):
            response = super().dispatch(request, *args, **kwargs)
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        """The new customer in one transaction: the account, its email address (allauth writes
        them one statement at a time), the sign-up's first count and what its code's email
        leaves to deliver on commit. A connection lost midway (the database restarting) leaves
        none of them, so the address can sign up again rather than meet an account with no
        address; the wait for the answer's time quantum is outside it."""
        with transaction.atomic():
            response: HttpResponse = super().form_valid(form)
        return response


class RequestLoginCodeView(allauth_views.RequestLoginCodeView):  # type: ignore[misc]
    """Sign-in by emailed code, only where the flow's sign-in method is the one-time passcode
    (decided here, on the server, not by hiding a link)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A link offer may be accepted with an emailed code in a password flow too (a customer
        # who signed up through another provider has no password to prove the account with).
        if not flow_uses_codes(request) and linking.offer_current(request) is None:
            return redirect(_with_next("account_login", request))
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["signup_open"] = get_adapter(self.request).is_open_for_signup(self.request)
        return context


@never_cache
def link_offer(request: HttpRequest) -> HttpResponse:
    """The offer to link an identity provider's account to the customer's account here
    (journey/linking.py): sign in to it once, by the ways the account and the flow allow, the
    flow's own first. A POST cancels the offer and starts the sign-in over. Without an offer
    (none made, expired, cancelled): the sign-in page."""
    offer = linking.offer_current(request)
    if request.method == "POST":
        linking.offer_drop(request)
        return redirect(offer.next_url if offer and offer.next_url else reverse("account_login"))
    if offer is None:
        return redirect("account_login")
    return render(
        request,
        "socialaccount/link_offer.html",
        {
            "email": offer.email,
            "provider_name": offer.provider_name,
            "methods": [str(method) for method in linking.proof_methods(request, offer)],
            "next": offer.next_url,
        },
    )


class ConfirmLoginCodeView(ContinueToAppMixin, allauth_views.ConfirmLoginCodeView):  # type: ignore[misc]
    """The emailed code, entered: a right one goes straight back to the app. A wrong one, or
    one entered after the code expired, is the sign-in log's failed code."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        stage: LoginStage | None = getattr(request, "_login_stage", None)
        entered = request.method == "POST" and request.POST.get("action") != "resend"
        expired = getattr(self, "_process", None) is None
        if stage is not None and expired and entered:
            self._failure_record(request, stage.login.user, stage.state.get("email"))
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        if self._action != "resend":
            self._failure_record(
                self.request, self.stage.login.user, self._process.state.get("email")
            )
        response: HttpResponse = super().form_invalid(form)
        return response

    @staticmethod
    def _failure_record(request: HttpRequest, user: User | None, email: object) -> None:
        interactive_record(
            request,
            reason=Reason.CODE_FAILED,
            customer=user,
            email=email if isinstance(email, str) else "",
            methods=(ONE_TIME_CODE,),
        )


class PasswordResetView(allauth_views.PasswordResetView):  # type: ignore[misc]
    """Self-service password reset by emailed code; a passwordless flow has none to reset."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if flow_uses_codes(request):
            return redirect(_with_next("account_request_login_code", request))
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


@never_cache
@sensitive_post_parameters("password1", "password2")
def profile_completion(request: HttpRequest) -> HttpResponse:
    """The last sign-up step (ProfileCompletionStage), after the email is verified: a password
    (in password flows) and the flow's attributes; done, the sign-in ends and goes straight
    back to the app. Everything is validated before anything is stored, and stored in one
    transaction.

    Outside that step: a signed-in customer goes on (`next`), anyone else signs in first.
    """
    stage = LoginStageController.enter(request, ProfileCompletionStage.key)
    if stage is None:
        if request.user.is_authenticated:
            return redirect(_next_url(request))
        return redirect_to_login(request.get_full_path())
    user: User = stage.login.user
    flow = flow_for_request(request)
    items = flow_attributes(flow) if flow is not None else []
    # A customer who signed up through an identity provider signs in there: no password here.
    through_provider = SocialAccount.objects.filter(user=user).exists()
    with_password = not through_provider and (
        flow is None or flow.sign_in_method == SignInMethod.EMAIL_PASSWORD
    )
    form_kwargs: dict[str, Any] = {
        "user": user,
        "items": items,
        "with_password": with_password,
        "initial": attributes_known(user, items),
    }
    if request.method != "POST":
        # OnAttributeCollectionStart: before the page shows (journey/attribute_extensions.py).
        known = {
            name.removeprefix(FIELD_PREFIX): value for name, value in form_kwargs["initial"].items()
        }
        start = collection_call(
            request,
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_START,
            flow=flow,
            user=user,
            items=items,
            values=known,
        )
        if start.verdict in (Verdict.BLOCK, Verdict.FAILED):
            return stopped_page(request, callout=start, user=user, stage=stage)
        if start.verdict == Verdict.PREFILL:
            form_kwargs["initial"] |= {
                f"{FIELD_PREFIX}{key}": value for key, value in start.values.items()
            }
    form = ProfileCompletionForm(request.POST if request.method == "POST" else None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        # OnAttributeCollectionSubmit: after the form validates, before anything is stored.
        builtin, custom = form.attribute_values()
        submit = collection_call(
            request,
            event=ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT,
            flow=flow,
            user=user,
            items=items,
            values=builtin | custom,
        )
        if submit.verdict == Verdict.MODIFY:
            modified = modified_form(form, submit.values, **form_kwargs)
            if modified.is_valid():
                form = modified
            else:
                submit = refused(submit, modified)
                continued_note(request, submit)
        if submit.verdict in (Verdict.BLOCK, Verdict.FAILED):
            return stopped_page(request, callout=submit, user=user, stage=stage)
        if submit.verdict == Verdict.VALIDATION_ERROR:
            validation_errors(form, submit)
        else:
            response = _profile_save(request, stage=stage, form=form, with_password=with_password)
            if response is not None:
                return response
    return render(
        request,
        "hosted/profile_completion.html",
        {"form": form, "customer": user, "with_password": with_password},
    )


def _profile_save(
    request: HttpRequest, *, stage: LoginStage, form: ProfileCompletionForm, with_password: bool
) -> HttpResponse | None:
    """Store the validated page in one transaction and go back to the app; None (the form
    given its errors) when the customer service refuses a value."""
    builtin, custom = form.attribute_values()
    try:
        with transaction.atomic():
            user = customer_profile_update(
                user=stage.login.user, builtin=builtin, custom=custom, by_customer=False
            )
            if with_password:
                user.set_password(form.cleaned_data["password1"])
            user.profile_completed = True
            user.save()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            name = f"{FIELD_PREFIX}{field}"
            form.add_error(name if name in form.fields else None, messages)
        return None
    sign_up_completed(request, user)  # the usage insights' sign-up drop-off
    stage.login.user = user  # the sign-in that follows binds the session to it
    return continue_to_app(request, stage.exit())


@method_decorator(never_cache, "dispatch")
@method_decorator(sensitive_post_parameters("oldpassword", "password1", "password2"), "dispatch")
class PasswordChangeView(allauth_views.PasswordChangeView):  # type: ignore[misc]
    """Changing a password, on one page: a signed-in customer's own change (allauth's), or the
    step of a sign-in under way that replaces an admin-set temporary password
    (TemporaryPasswordStage), after which the sign-in ends and goes straight back to the app."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            stage = LoginStageController.enter(request, TemporaryPasswordStage.key)
            if stage is not None:
                return self._temporary_password(request, stage)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    @staticmethod
    def _temporary_password(request: HttpRequest, stage: LoginStage) -> HttpResponse:
        user: User = stage.login.user
        form = ChangePasswordForm(
            data=request.POST if request.method == "POST" else None, user=user
        )
        if request.method == "POST" and form.is_valid():
            form.save()
            # What allauth's own page tells listeners (accounts clears the temporary mark).
            password_changed.send(sender=User, request=request, user=user)
            return continue_to_app(request, stage.exit())
        return render(
            request, "account/password_change.html", {"form": form, "temporary_password": True}
        )
