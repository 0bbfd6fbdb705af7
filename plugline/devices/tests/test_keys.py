from __future__ import annotations

import pytest
from django.test import override_settings

from plugline.devices.keys import (
    BadDeviceKey,
    device_key_generate,
    label_code_generate,
    label_code_hash,
    label_code_matches,
    presence_sign,
    presence_signature_is_valid,
    public_key_from_device_key,
)


def test_it_checks_a_signature_with_the_public_key_only():
    key = device_key_generate()
    public = public_key_from_device_key(key)
    assert public != key
    signature = presence_sign(device_key=key, challenge="abc123")
    assert presence_signature_is_valid(public_key=public, challenge="abc123", signature=signature)
    assert not presence_signature_is_valid(
        public_key=public, challenge="abc124", signature=signature
    )
    other = public_key_from_device_key(device_key_generate())
    assert not presence_signature_is_valid(
        public_key=other, challenge="abc123", signature=signature
    )
    assert not presence_signature_is_valid(public_key=public, challenge="abc123", signature="x!")


@pytest.mark.parametrize("bad", ["", "not base64 at all!", "AAAA", "A" * 60])
def test_it_refuses_a_malformed_device_key(bad: str):
    with pytest.raises(BadDeviceKey):
        public_key_from_device_key(bad)


def test_it_matches_a_label_code_as_people_type_it():
    code = label_code_generate()
    assert len(code) == 8
    stored = label_code_hash(serial="PL1", code=code)
    typed = f" {code[:4].lower()}-{code[4:]} "
    assert label_code_matches(serial="PL1", code=typed, stored_hash=stored)
    assert not label_code_matches(serial="PL2", code=code, stored_hash=stored)
    assert not label_code_matches(serial="PL1", code=code, stored_hash="")


def test_a_label_code_still_matches_after_the_secret_key_is_rotated():
    with override_settings(SECRET_KEY="old" * 20):
        stored = label_code_hash(serial="PL1", code="ABCD2345")
    with override_settings(SECRET_KEY="new" * 20, SECRET_KEY_FALLBACKS=["old" * 20]):
        assert label_code_matches(serial="PL1", code="ABCD2345", stored_hash=stored)
    with override_settings(SECRET_KEY="new" * 20, SECRET_KEY_FALLBACKS=[]):
        assert not label_code_matches(serial="PL1", code="ABCD2345", stored_hash=stored)
