"""The admin center: the operators' pages for their tenants, in the public schema.

The shell every page stands on is here (`access` who may open a page, `pages` rendering with the
layout's navigation, `form_errors` a service's errors on a form, `audit` one entry per change);
the pages live in one subpackage per concept: `operators` (sign-in, password change), `tenants`,
`customers`, `app_registrations`, `userflows`. Templates are in templates/admin_center/.
"""
