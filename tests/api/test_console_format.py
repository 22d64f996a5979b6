"""The console's labels, money and language choice (pure functions, no server)."""

from __future__ import annotations

from api.ui.i18n import Labels, money, percent, pick_language


def test_money_is_cny_with_thousands_separators() -> None:
    assert money("1234567.5") == "¥1,234,567.50"
    assert money("-20000.00") == "-¥20,000.00"
    assert money(None) == "—"
    assert money("not money") == "not money"


def test_rates_are_percentages() -> None:
    assert percent(0.9192) == "91.9%"
    assert percent(None) == "—"


def test_the_switch_wins_over_accept_language_and_english_is_the_fallback() -> None:
    assert pick_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert pick_language(None, "zh-TW") == "zh-CN"
    assert pick_language("en", "zh-CN") == "en"
    assert pick_language(None, "fr-FR, de") == "en"
    assert pick_language("xx", None) == "en"


def test_labels_translate_and_fall_back_to_english() -> None:
    zh, en = Labels("zh-CN"), Labels("en")
    assert zh("Sign in") == "登录"
    assert en("Sign in") == "Sign in"
    assert zh("A label nobody translated") == "A label nobody translated"
    assert zh.value("customer_service") == "客服"
    assert en.value("customer_service") == "customer service"
