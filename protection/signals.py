"""What sign-in protection tells the code above it (issue 12).

`sign_in_evaluated` is sent each time the tenant's conditional access policies decide a
customer's sign-in to an app (`protection.access.sign_in_evaluation_report`, called by the
journey): after the first factor, and when a signed-in session goes on to an app by single
sign-on. Its arguments: `request`, the request that asked, and `evaluation`, a
`protection.access.SignInEvaluation` (who, which app, the policies applied, the report-only
ones with what they would have done, and what came of it). The sign-in log connects here to
keep them; a receiver runs inside the sign-in's request, so one that fails fails the sign-in.
"""

from django.dispatch import Signal

sign_in_evaluated = Signal()
