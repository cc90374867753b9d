import pytest

from mmreward.errors import InvalidInputError
from mmreward.verifiers.length import overlong_penalty, response_length


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (0, 0.0),
        (16, 0.0),  # max_len - cache_len: last length without penalty
        (17, -0.25),  # (16 - 17) / 4
        (18, -0.5),
        (20, -1.0),  # max_len: the ramp ends at -1
        (21, -1.0),  # beyond max_len
        (10_000, -1.0),
    ],
)
def test_dapo_soft_overlong_penalty(length, expected):
    assert overlong_penalty(length, max_len=20, cache_len=4) == pytest.approx(expected)


def test_dapo_paper_setting():
    # DAPO: max 20480 tokens with a 4096-token buffer.
    assert overlong_penalty(16384, 20480, 4096) == 0.0
    assert overlong_penalty(18432, 20480, 4096) == pytest.approx(-0.5)


def test_without_a_buffer_the_penalty_is_a_step():
    assert overlong_penalty(20, max_len=20, cache_len=0) == 0.0
    assert overlong_penalty(21, max_len=20, cache_len=0) == -1.0


@pytest.mark.parametrize(("max_len", "cache_len"), [(0, 0), (10, 11), (10, -1)])
def test_bad_settings_are_input_errors(max_len, cache_len):
    with pytest.raises(InvalidInputError):
        overlong_penalty(5, max_len, cache_len)


def test_a_given_token_count_wins_over_the_estimate():
    assert response_length("x" * 100, 7).tokens == 7
    assert response_length("x" * 100, 7).source == "given"


def test_the_estimate_is_characters_over_four_rounded_up():
    length = response_length("123456789", None)
    assert (length.tokens, length.source) == (3, "estimated_chars")
    assert response_length("123456789", None, chars_per_token=3).tokens == 3
