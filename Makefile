# Two commands: `make run` starts the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types pytest messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m ciam_portal.run

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: $(STAMP)
	@# The Django plugin loads the settings: a placeholder URL, so that no embedded PostgreSQL
	@# is started (mypy exits without stopping it); nothing connects.
	DATABASE_URL=$${DATABASE_URL:-postgres://mypy@127.0.0.1:1/mypy} $(BIN)/mypy .

pytest: $(STAMP)
	@sh scripts/ensure-chromium
	$(BIN)/python -m pytest

# The customer-facing strings (hosted pages, emails, errors, the journey's and accounts' Python
# strings) in the shipped languages: extract them into locale/<lang>/LC_MESSAGES/django.po, then
# compile the .mo files, which are committed so that `make run` never needs gettext. The admin
# center speaks English only: its folders (and everything else that is not a customer's) are left
# out. A placeholder DATABASE_URL, as for `types`: nothing connects.
MESSAGE_LANGUAGES := fr de es ar he ja zh_Hans
MESSAGE_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=scripts \
	--ignore=admin_center --ignore=userflows --ignore=apps/services.py \
	--ignore=accounts/models.py --ignore=accounts/services/operators.py \
	--ignore=accounts/services/attributes.py \
	--ignore=branding/models.py --ignore=branding/languages.py --ignore=branding/css.py \
	--ignore=branding/images.py --ignore=branding/markdown.py --ignore=branding/services.py \
	--ignore=tenants/models.py --ignore=tenants/services.py --ignore=federation/models.py \
	--ignore=federation/services.py --ignore=federation/metadata.py --ignore=protection/models.py \
	--ignore=protection/conditional_access.py --ignore=monitoring --ignore=extensions

messages: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://messages@127.0.0.1:1/messages} \
		$(BIN)/python manage.py makemessages --no-obsolete -e html,txt,py \
		$(MESSAGE_IGNORE) $(addprefix -l ,$(MESSAGE_LANGUAGES))
	DATABASE_URL=$${DATABASE_URL:-postgres://messages@127.0.0.1:1/messages} \
		$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var

clean:
	rm -rf $(VENV) var
