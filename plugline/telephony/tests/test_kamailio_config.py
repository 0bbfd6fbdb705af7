"""deploy/kamailio/kamailio.cfg is a valid Kamailio configuration, as shipped and with the
defines the tests and a deployment give it."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata

from plugline.telephony.kamailio_run import Softphone
from plugline.telephony.tests.kamailio import CONFIG, defines, kamailio_check


def test_it_ships_a_valid_kamailio_configuration():
    checked = kamailio_check()

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "udp: 127.0.0.1 [127.0.0.1]:5060" in checked.stdout + checked.stderr


def test_it_takes_the_ports_domain_and_database_from_defines():
    arguments = defines(
        port=5999,
        domain="sip.example.net",
        db_url="postgres://kamailio:secret@db.example.net:5432/plugline",
        ctl_socket=Path("/run/plugline-test/kamailio_ctl"),
        rpc_port=5998,
    )

    checked = kamailio_check(*arguments)

    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, output
    assert "udp: 127.0.0.1 [127.0.0.1]:5999" in output
    assert "tcp: 127.0.0.1 [127.0.0.1]:5999" in output
    assert "sip.example.net" in output
    assert "tcp: 127.0.0.1 [127.0.0.1]:5998" in output


def test_it_listens_for_the_browser_softphone_only_when_asked():
    softphone = Softphone(ws_port=5997, secret="s", rtpengine_sock="udp:127.0.0.1:2223")
    arguments = defines(
        port=5999,
        domain="sip.example.net",
        db_url="postgres://kamailio:secret@db.example.net:5432/plugline",
        ctl_socket=Path("/run/plugline-test/kamailio_ctl"),
        rpc_port=5998,
        softphone=softphone,
    )

    with_softphone = kamailio_check(*arguments)
    without = kamailio_check()

    assert with_softphone.returncode == 0, with_softphone.stdout + with_softphone.stderr
    assert "tcp: 127.0.0.1 [127.0.0.1]:5997" in with_softphone.stdout + with_softphone.stderr
    assert ":8080" not in without.stdout + without.stderr


def test_it_authenticates_against_the_view_with_hashes_only():
    text = CONFIG.read_text()

    assert 'modparam("auth_db", "calculate_ha1", 0)' in text
    assert 'modparam("auth_db", "password_column", "ha1")' in text
    assert 'www_authorize("$td", "sip_subscriber")' in text
    assert 'proxy_authorize("$fd", "sip_subscriber")' in text
    assert 'version_table="kamailio_version"' in text


def test_it_answers_rpc_over_http_on_its_loopback_port_only():
    checked = kamailio_check()
    text = CONFIG.read_text()

    output = checked.stdout + checked.stderr
    assert "tcp: 127.0.0.1 [127.0.0.1]:5064" in output
    assert 'loadmodule "jsonrpcs.so"' in text
    assert 'modparam("jsonrpcs", "transport", 1)' in text
    assert '$Rp != RPC_PORT || $si != "127.0.0.1"' in text


def test_it_treats_as_abroad_exactly_the_nanp_countries_other_than_the_us_and_canada():
    # The North American Numbering Plan's other countries (Jamaica, the Dominican
    # Republic, ...) dial +1 too: Kamailio lists their area codes, checked here
    # against libphonenumber's data. US territories (Puerto Rico, Guam, ...) are home.
    [listed] = re.findall(r'\$rU =~ "\^1\(([0-9|]+)\)"', CONFIG.read_text())
    home = {"US", "CA", "PR", "VI", "GU", "MP", "AS"}
    patterns = [
        metadata.leading_digits
        for region in phonenumbers.region_codes_for_country_code(1)
        if region not in home
        and (metadata := PhoneMetadata.metadata_for_region(region)) is not None
    ]
    abroad = {
        str(area)
        for pattern in patterns
        for area in range(200, 1000)
        if re.match(rf"(?:{pattern})$", str(area))
    }

    assert set(listed.split("|")) == abroad


def test_it_checks_the_benchmarks_reference_without_authentication_on_register_only():
    # bench/sip.py compares Plugline's REGISTERs with the same configuration, -A WITH_NOAUTH.
    checked = kamailio_check("-A", "WITH_NOAUTH")
    text = CONFIG.read_text()

    assert checked.returncode == 0, checked.stdout + checked.stderr
    registrar = text[text.index("route[REGISTRAR] {") : text.index("route[AUTH] {")]
    [skipped] = re.findall(r"#!ifndef WITH_NOAUTH\n(.*?)#!endif\n", registrar, re.DOTALL)
    assert 'www_authorize("$td", "sip_subscriber")' in skipped
    assert 'save("location")' not in skipped
    assert 'save("location")' in registrar
    # Nothing else depends on the define: calls are authenticated all the same.
    assert re.findall(r"^#!\w+ WITH_NOAUTH$", text, re.MULTILINE) == ["#!ifndef WITH_NOAUTH"]
