"""Answering a request with another page's answer: one round trip fewer for the browser, on
the way into the hosted pages, into the second-factor step and on the way back to the app."""

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers

from journey.pages import enter_page


def answer_as(request: HttpRequest, url: str) -> HttpResponse:
    """The answer this tenant's page at `url` (a path with its query) gives to a GET, given
    to this request instead of a redirect there: one round trip fewer for the browser.

    The request becomes that GET (method, path, query; the session, the user and the CSRF
    state stay), and the view the path resolves to answers it, with the middleware's
    response handling still to come as for any answer.
    """
    target = urlsplit(url)
    script_name = request.META.get("SCRIPT_NAME", "")
    path_info = target.path.removeprefix(script_name)
    request.method = "GET"
    request.META = {
        **request.META,
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": target.query,
        "PATH_INFO": path_info,
        "CONTENT_LENGTH": "",
    }
    request.path = target.path
    request.path_info = path_info
    request.GET = QueryDict(target.query)
    request.POST = QueryDict()
    match = resolve(path_info)
    request.resolver_match = match
    enter_page(request, match.url_name)  # as the middleware would, for a request of its own
    answer: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return answer


def continue_to_app(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a hosted page signs the customer in, answer the authorization request it
    interrupted at once, so the browser goes straight back to the app with its code.

    The page's own answer is a redirect to this tenant's authorization endpoint (its `next`);
    the endpoint answers that request here (`answer_as`), and its redirect is sent instead:
    one round trip fewer per sign-in, as Entra's and Keycloak's sign-in forms answer. Anything
    else is left as it was: a page that is not such a redirect, a sign-in a login stage holds
    (the customer is not signed in until the last stage ends), and an authorization answer that
    is a page to show rather than a redirect.
    """
    if response.status_code != 302 or not request.user.is_authenticated:
        return response
    target = urlsplit(response["Location"])
    if target.scheme or target.netloc or target.path != reverse("oauth2_provider:authorize"):
        return response
    answer = answer_as(request, response["Location"])
    if answer.status_code != 302:
        return response
    add_never_cache_headers(answer)  # it carries a code, and answers a form post
    # The cookies the page set (smart lockout's device cookie) go along.
    for name, morsel in response.cookies.items():
        answer.cookies[name] = morsel
    return answer


# The pages of a login stage that may answer the form post that led to them: their forms say
# where they post. Not the emailed code's page: reloading that answer would post the password
# again, and send another code.
_STAGE_PAGES_ANSWERING_AT_ONCE = frozenset({"account-second-factor"})


def continue_to_stage(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """When a form's post leaves the sign-in held by the second-factor step, answer with that
    step's page at once rather than a redirect to it: one round trip fewer per sign-in with a
    second factor, as Entra's and Keycloak's password forms answer with the next step.

    The page is the view's answer to a GET of it (`answer_as`, after allauth stashed the
    sign-in the page reads); its forms post to its own URL. Anything else is left as it was.
    """
    if response.status_code != 302:
        return response
    target = urlsplit(response["Location"])
    script_name = request.META.get("SCRIPT_NAME", "")
    if target.scheme or target.netloc or not target.path.startswith(f"{script_name}/"):
        return response
    try:
        match = resolve(target.path.removeprefix(script_name))
    except Resolver404:
        return response
    if match.url_name not in _STAGE_PAGES_ANSWERING_AT_ONCE:
        return response
    answer = answer_as(request, response["Location"])
    add_never_cache_headers(answer)  # the answer to a form post
    for name, morsel in response.cookies.items():
        answer.cookies[name] = morsel
    return answer
