"""How calls are written for the screens and for the Vietnamese voice."""

import pytest

from server.announce.wording import (
    LETTER_NAMES,
    announcement_text,
    code_words,
    number_words,
    spoken_text,
)

TEMPLATE = "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (55, "năm mươi lăm"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (104, "một trăm linh bốn"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (114, "một trăm mười bốn"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"),
        (1005, "một nghìn không trăm linh năm"),
        (1010, "một nghìn không trăm mười"),
        (1023, "một nghìn không trăm hai mươi ba"),
        (1100, "một nghìn một trăm"),
        (2000, "hai nghìn"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (10000, "mười nghìn"),
        (15000, "mười lăm nghìn"),
        (21005, "hai mươi mốt nghìn không trăm linh năm"),
        (100005, "một trăm nghìn không trăm linh năm"),
        (999999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
        (1000000, "một triệu"),
        (1000005, "một triệu không trăm linh năm"),
        (1005000, "một triệu không trăm linh năm nghìn"),
        (2500000, "hai triệu năm trăm nghìn"),
        (1000000000, "một tỷ"),
    ],
)
def test_number_words(n, words):
    assert number_words(n) == words


def test_number_words_never_uses_southern_or_informal_forms():
    for n in range(0, 3000):
        words = number_words(n).split()
        assert "ngàn" not in words and "lẻ" not in words, n
        assert "mốt" not in words or words[words.index("mốt") - 1] == "mươi", n


@pytest.mark.parametrize("bad", [-1, 1.5, "12", True])
def test_number_words_rejects_non_numbers(bad):
    with pytest.raises((TypeError, ValueError)):
        number_words(bad)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("A012", "a, mười hai"),
        ("A001", "a, một"),
        ("BC105", "bê xê, một trăm linh năm"),
        ("1023", "một nghìn không trăm hai mươi ba"),
        ("A1000", "a, một nghìn"),
        ("XYZ024", "ích-xì i-dài dét, hai mươi tư"),
        ("lw015", "e-lờ vê-kép, mười lăm"),
    ],
)
def test_code_words(code, words):
    assert code_words(code) == words


def test_every_letter_has_a_name_without_digits_or_capitals():
    assert sorted(LETTER_NAMES) == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    for name in LETTER_NAMES.values():
        assert name == name.lower() and not any(ch.isdigit() for ch in name)
        assert " " not in name, "a space inside a name would sound like two letters"


@pytest.mark.parametrize("bad", ["", "A", "12A", "A-12", "Đ012"])
def test_code_words_rejects_what_is_not_a_code(bad):
    with pytest.raises(ValueError):
        code_words(bad)


def test_spoken_text_of_the_default_template():
    assert spoken_text(TEMPLATE, "A012", 12) == (
        "Kính mời công dân có số thứ tự a, mười hai đến quầy số mười hai"
    )


def test_spoken_text_of_an_all_digit_code_and_a_desk_given_as_text():
    assert spoken_text(TEMPLATE, "1023", "5") == (
        "Kính mời công dân có số thứ tự một nghìn không trăm hai mươi ba đến quầy số năm"
    )


def test_announcement_text_shows_the_code_as_printed():
    assert announcement_text(TEMPLATE, "A012", 12) == (
        "Kính mời công dân có số thứ tự A012 đến quầy số 12"
    )


def test_templates_may_move_or_omit_placeholders_and_keep_other_braces():
    template = "Quầy {desk} {json} mời số {code}"
    assert announcement_text(template, "B007", 3) == "Quầy 3 {json} mời số B007"
    assert spoken_text(template, "B007", 3) == "Quầy ba {json} mời số bê, bảy"
    assert spoken_text("Xin mời", "B007", 3) == "Xin mời"
