# Plugline: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Links in emails, receipts, the data export and the sandbox's webhooks point
# here: the port `make run` serves on, unless SITE_URL is set.
SITE_URL ?= http://127.0.0.1:$(PORT)
RUN_ENV := DEBUG=1 PORT='$(PORT)' SITE_URL='$(SITE_URL)'
APPS := core accounts api telephony devices billing notifications portal sandbox_gateway stores reup voicemail rates minutes upgrades support helpcentre backoffice reports chat

.PHONY: install run sip serve test check lint fmt messages browsers clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The embedded default: SQLite, database cache and task queue, one worker,
# one scheduler, Django's development server. Ctrl-C stops all three.
run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createcachetable
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Plugline on http://127.0.0.1:$(PORT)/ (developer mailbox: /dev/mail/; links in emails: $(SITE_URL))"
	@trap 'kill 0' INT TERM EXIT; \
	$(RUN_ENV) $(PY) manage.py db_worker --queue-name '*' & \
	$(RUN_ENV) $(PY) manage.py run_scheduler & \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# `make run` with the phone line: Kamailio (Debian's packages, installed when
# missing) on the same SQLite file, SIP on 127.0.0.1:$(SIP_PORT), its JSON-RPC on
# $(SIP_RPC_PORT) so that ending a line ends its registrations, and the voicemail
# server (baresip) on 127.0.0.1:$(VOICEMAIL_PORT). Where rtpengine is installed
# (Debian's rtpengine-daemon), calls from the browser too: rtpengine (userspace,
# its ng control on 127.0.0.1:$(RTPENGINE_NG_PORT), media on $(RTPENGINE_PORTS)) and
# Kamailio's WebSocket on 127.0.0.1:$(SIP_WS_PORT), with a secret made for this run;
# without it they are off, and the softphone page says so. Ctrl-C stops them all.
SIP_PORT ?= 5060
SIP_RPC_PORT ?= 5064
VOICEMAIL_PORT ?= 5090
SIP_WS_PORT ?= 5066
RTPENGINE_NG_PORT ?= 2223
RTPENGINE_PORTS ?= 30000-30099
SIP_ENV := $(RUN_ENV) SIP_PROXY='127.0.0.1:$(SIP_PORT)' \
	KAMAILIO_RPC_URL='http://127.0.0.1:$(SIP_RPC_PORT)/RPC' \
	VOICEMAIL_ADDR='127.0.0.1:$(VOICEMAIL_PORT)' \
	RTPENGINE_NG_PORT='$(RTPENGINE_NG_PORT)' RTPENGINE_PORTS='$(RTPENGINE_PORTS)'
ifneq ($(shell command -v rtpengine 2>/dev/null),)
SOFTPHONE_SECRET := $(shell head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
SOFTPHONE_ENV := SIP_WS_URL='ws://127.0.0.1:$(SIP_WS_PORT)/' SIP_EPHEMERAL_SECRET='$(SOFTPHONE_SECRET)'
endif
sip: install
	$(SIP_ENV) $(PY) manage.py run_kamailio --install-only
	$(SIP_ENV) $(PY) manage.py migrate --noinput
	$(SIP_ENV) $(PY) manage.py createcachetable
	$(SIP_ENV) $(PY) manage.py seed_demo
	@echo "Plugline on http://127.0.0.1:$(PORT)/ with its SIP server on 127.0.0.1:$(SIP_PORT), voicemail on 127.0.0.1:$(VOICEMAIL_PORT)"
	@trap 'kill 0' INT TERM EXIT; \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py run_rtpengine & \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py run_kamailio --sip-port '$(SIP_PORT)' --rpc-port '$(SIP_RPC_PORT)' & \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py voicemail_server & \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py db_worker --queue-name '*' & \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py run_scheduler & \
	$(SIP_ENV) $(SOFTPHONE_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Browser journeys use the system's Chromium (Debian: /usr/bin/chromium)
# where there is one, else Playwright's own download.
browsers: install
	@if [ -z "$$PLAYWRIGHT_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1 \
	    && ! command -v chromium-browser >/dev/null 2>&1; then \
	  $(PY) -m playwright install chromium; \
	fi

test: install browsers
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=1 $(PY) -m mypy .

check: lint test

fmt: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Extract and compile translations (needs GNU gettext); the compiled .mo
# files are committed so that running Plugline does not need gettext.
messages: install
	for app in $(APPS); do \
	  (cd plugline/$$app && mkdir -p locale && DEBUG=1 ../../$(PY) ../../manage.py makemessages \
	    --locale fr --locale da --no-obsolete --add-location file) || exit 1; \
	done
	for app in $(APPS); do \
	  (cd plugline/$$app && DEBUG=1 ../../$(PY) ../../manage.py compilemessages) || exit 1; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
